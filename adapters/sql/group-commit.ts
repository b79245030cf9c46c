import { isConnectionLost, outcomeUnknown } from '../outcome.js';
import type { Row } from '../types.js';
import type { SqlDriver, SqlRunner } from './driver.js';
import { isMoboError, MoboError } from '../../runtime/index.js';

type Job<T> = (runner: SqlRunner) => Promise<T>;

/** How a job's rows can share one INSERT with other jobs' rows of the same key. */
export interface Merge {
  key: string;
  rows: Row[];
  /** Inserts the rows of several jobs in one statement; answers the inserted rows in input order. */
  insert(runner: SqlRunner, rows: Row[]): Promise<Row[]>;
}

interface Pending {
  job: Job<unknown>;
  /** One statement is atomic on its own; more need a transaction when the job runs alone. */
  oneStatement: boolean;
  merge: Merge | undefined;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** What runs as one step of a group's transaction: one job, or several merged into one INSERT. */
interface Unit {
  members: Pending[];
  run(runner: SqlRunner): Promise<unknown[]>;
}

/** Jobs per shared transaction: enough to amortise a commit, few enough to keep one group short. */
export const MAX_GROUP = 64;
/**
 * Groups running at once. Waiting for one to commit before starting the next lets the queue
 * fill: commits that NOTIFY (the change-feed triggers) are serialised by Postgres anyway, so
 * bigger groups, not more of them, are what raise throughput.
 */
const MAX_IN_FLIGHT = 2;

/**
 * Group commit: autocommit writes that arrive in one turn of the event loop run one after the
 * other in one transaction, so many requests share one commit (one WAL flush) instead of
 * paying one each. Jobs that offer a Merge with the same key (inserts into one table, same
 * columns, keys drawn from a sequence) become one multi-row INSERT, and each gets back its own
 * slice of the rows; every other job runs its own statements.
 *
 * A job alone runs as it would without grouping. When a job of a group fails, the group is
 * rolled back; a data error that depends only on the job's own values (DS_VALUE_INVALID) is
 * that job's answer and the others run again as a new group; any other failure (a conflict, a
 * deadlock, a lost connection, a constraint that may depend on another job) could be the
 * group's doing, so every job runs again alone and gets the answer it would have had alone.
 * Concurrent requests carry no order between them, so any order the group picks is one they
 * could have had. Two exceptions keep a group from doing worse than its jobs alone: the
 * driver's prologue bounds lock waits (a job blocked by another client's transaction makes
 * the group rerun alone instead of holding every insert of the source), and a connection
 * lost during COMMIT fails every job with DS_OUTCOME_UNKNOWN ("may or may not have been
 * applied", adapters/outcome.ts) rather than running them again.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight = 0;

  constructor(private readonly driver: SqlDriver) {}

  run<T>(job: Job<T>, oneStatement: boolean, merge?: Merge): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ job, oneStatement, merge, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  /** Starts queued jobs, at most MAX_GROUP to a group, while fewer than MAX_IN_FLIGHT groups run; a group that settles starts the next. */
  private flush(): void {
    while (this.queue.length > 0 && this.inFlight < MAX_IN_FLIGHT) {
      const group = this.queue.splice(0, MAX_GROUP);
      this.inFlight++;
      const settled = group.length === 1 ? this.alone(group[0]!) : this.together(group);
      void settled.finally(() => {
        this.inFlight--;
        this.flush();
      });
    }
  }

  private alone({ job, oneStatement, resolve, reject }: Pending): Promise<void> {
    return (oneStatement ? job(this.driver.runner) : this.driver.transaction(job)).then(resolve, reject);
  }

  private async together(group: Pending[]): Promise<void> {
    const units = unitsOf(group);
    const results = new Map<Pending, unknown>();
    let failed: Unit | undefined;
    let committing = false;
    try {
      await (this.driver.groupTransaction ?? this.driver.transaction).call(this.driver, async (runner) => {
        for (const unit of units) {
          failed = unit;
          const answers = await unit.run(runner);
          unit.members.forEach((member, i) => results.set(member, answers[i]));
        }
        failed = undefined;
        committing = true;
      });
    } catch (err) {
      if (committing && isConnectionLost(err)) {
        // COMMIT went out and no answer came back: the rows may be written. Running the jobs
        // again could write them twice, so each caller learns what a lone write would tell it.
        const unknown = isMoboError(err, 'DS_OUTCOME_UNKNOWN') ? err : outcomeUnknown(err);
        for (const pending of group) pending.reject(unknown);
        return;
      }
      const culprit = failed?.members.length === 1 && isMoboError(err, 'DS_VALUE_INVALID') ? failed.members[0]! : undefined;
      if (culprit) {
        culprit.reject(err);
        const rest = group.filter((pending) => pending !== culprit);
        if (rest.length === 1) await this.alone(rest[0]!);
        else if (rest.length > 1) await this.together(rest);
      } else {
        await Promise.all(group.map((pending) => this.alone(pending)));
      }
      return;
    }
    for (const pending of group) pending.resolve(results.get(pending));
  }
}

/** Jobs with the same merge key become one unit (one INSERT); every other job is a unit alone. */
function unitsOf(group: Pending[]): Unit[] {
  const units: Unit[] = [];
  const merged = new Map<string, Pending[]>();
  for (const pending of group) {
    if (!pending.merge) units.push({ members: [pending], run: async (runner) => [await pending.job(runner)] });
    else {
      const members = merged.get(pending.merge.key);
      if (members) members.push(pending);
      else merged.set(pending.merge.key, [pending]);
    }
  }
  for (const members of merged.values()) {
    if (members.length === 1) {
      const [only] = members;
      units.push({ members, run: async (runner) => [await only!.job(runner)] });
    } else {
      units.push({ members, run: (runner) => insertMerged(runner, members) });
    }
  }
  return units;
}

/** One INSERT for every member's rows; each member gets back its own slice. */
async function insertMerged(runner: SqlRunner, members: Pending[]): Promise<Row[][]> {
  const rows = members.flatMap((member) => member.merge!.rows);
  const inserted = await members[0]!.merge!.insert(runner, rows);
  if (inserted.length !== rows.length) throw new MoboError('INTERNAL', 'A merged insert answered a different number of rows');
  const answers: Row[][] = [];
  let at = 0;
  for (const member of members) {
    const count = member.merge!.rows.length;
    answers.push(inserted.slice(at, at + count));
    at += count;
  }
  return answers;
}
