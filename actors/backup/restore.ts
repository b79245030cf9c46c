import { type Adapter, createAdapter, type RestoreOptions, restoresAtomically, type RestoreStep } from '../../adapters/index.js';
import type { ArchiveReader } from './archive-reader.js';
import type { Progress } from './create.js';
import type { PartEntry } from './manifest.js';
import { dumpChunks } from './records.js';
import type { DataTarget } from './targets.js';
import { describeError, isMoboError, MoboError, toMoboError } from '../../runtime/index.js';

/**
 * Where a restore stands, per target: a step of an adapter's staged restore, or (Redis,
 * MongoDB) `trial` (the part restored into a scratch database), `safety` (the safety copy
 * proven restorable) and `dropped` (the replaced tables gone, nothing written yet).
 */
export type RestorePoint = RestoreStep | 'trial' | 'safety' | 'dropped';

/** The failure-injection hook: called at every step of every target; throwing aborts the restore there. */
export type RestoreCheckpoint = (target: string, point: RestorePoint) => void | Promise<void>;

export interface RestorePlan {
  /** The archive; restoreArchive verifies its checksums before it writes anything. */
  reader: ArchiveReader;
  targets: DataTarget[];
  force: boolean;
  /** Copies the tables about to be replaced into a safety archive, and opens it. */
  safetyCopy(targets: DataTarget[], tables: (target: DataTarget) => ReadonlySet<string>): Promise<ArchiveReader>;
  /** Restores a part into a scratch database and compares its counts (what backup:verify does); throws if it fails. */
  trial(reader: ArchiveReader, part: string): Promise<void>;
  checkpoint?: RestoreCheckpoint;
  onProgress(progress: Progress): void;
}

export interface RestoredPart {
  name: string;
  tables: string[];
  rows: number;
  replaced: string[];
}

export interface RestoreResult {
  parts: RestoredPart[];
  /** The archive holding what was replaced (kept, so an operator can undo the restore). */
  safetyBackup?: string;
}

interface Step {
  target: DataTarget;
  adapter: Adapter;
  atomic: boolean;
  tables: string[];
  existing: string[];
  /** Set once the live data of this target changed: only touched targets are rolled back. */
  touched: boolean;
}

/**
 * Puts parts of an archive back. The archive's checksums are verified before anything is
 * written. Every target is connected and inspected first; tables that hold rows are only
 * replaced with `force`. What will be replaced is copied into a safety archive before the first
 * live table changes. A SQL or Redis target is restored by its adapter beside the live tables
 * (keys), checked against the manifest's counts and swapped in one step, so a failure leaves it
 * as it was. MongoDB cannot swap: its part is first restored into a scratch database, the
 * safety copy is proven restorable the same way, and only then are the replaced keys dropped.
 * If a later target fails, every target already changed gets the safety copy back.
 *
 * When the first target swaps, its part is not read twice: every other part is verified up
 * front, and that one as it streams into the target's stage, whose swap (the first change to
 * live data) waits for the part's checksum and counts; the safety copy is taken just before it.
 */
export async function restoreArchive(plan: RestorePlan): Promise<RestoreResult> {
  const steps: Step[] = [];
  const point = async (step: Step, at: RestorePoint) => plan.checkpoint?.(step.target.meta.name, at);
  const first = plan.targets[0];
  const streamed = first && restoresAtomically(first.source.kind) ? first.meta.name : undefined;
  await plan.reader.verify(undefined, streamed);
  try {
    for (const target of plan.targets) {
      const adapter = createAdapter(target.source);
      steps.push({ target, adapter, atomic: restoresAtomically(target.source.kind), tables: [], existing: [], touched: false });
      await adapter.connect();
    }
    await inspect(plan, steps);
    for (const step of steps.filter((s) => !s.atomic)) {
      await plan.trial(plan.reader, step.target.meta.name);
      await point(step, 'trial');
    }
    const replacing = steps.filter((s) => s.existing.length > 0);
    let safety: ArchiveReader | undefined;
    let guarded: Promise<void> | undefined;
    /** The safety copy, proven restorable where a target cannot swap: once, before live data changes. */
    const guard = (): Promise<void> =>
      (guarded ??= (async () => {
        if (replacing.length === 0) return;
        safety = await plan.safetyCopy(replacing.map((s) => s.target), (t) => new Set(steps.find((s) => s.target === t)!.existing));
        for (const step of replacing.filter((s) => !s.atomic)) {
          await plan.trial(safety, step.target.meta.name);
          await point(step, 'safety');
        }
      })());
    try {
      if (streamed === undefined) await guard();
      const parts = await apply(plan, steps, point, { streamed, guard });
      return { parts, ...(safety ? { safetyBackup: (safety as ArchiveReader).manifest.id } : {}) };
    } catch (err) {
      // A damaged archive found before any live table changed is the answer itself.
      if (isMoboError(err, 'BACKUP_CORRUPT') && !steps.some((s) => s.touched)) throw err;
      throw await rollBack(steps, safety, err);
    } finally {
      await (safety as ArchiveReader | undefined)?.close();
    }
  } finally {
    for (const s of steps) await s.adapter.close().catch(() => undefined);
  }
}

async function inspect(plan: RestorePlan, steps: Step[]): Promise<void> {
  const occupied: string[] = [];
  for (const step of steps) {
    step.tables = Object.keys(plan.reader.part(step.target.meta.name).rows);
    const present = new Set((await step.adapter.introspect(true)).tables.map((t) => t.name));
    step.existing = step.tables.filter((t) => present.has(t));
    for (const table of step.existing) if ((await step.adapter.count({ table })) > 0) occupied.push(`${step.target.meta.name}:${table}`);
  }
  if (occupied.length > 0 && !plan.force) {
    throw new MoboError('BACKUP_TARGET_NOT_EMPTY', `The restore would replace tables that hold data (${occupied.slice(0, 5).join(', ')}${occupied.length > 5 ? ' …' : ''}); use --force`, {
      details: { tables: occupied },
    });
  }
}

/** The staged restore's own check before its swap: every table holds the rows the manifest counts. */
export function countsMatch(part: PartEntry): NonNullable<RestoreOptions['check']> {
  return async (count) => {
    for (const [table, rows] of Object.entries(part.rows)) {
      const found = await count(table);
      if (found !== rows) throw new MoboError('BACKUP_CORRUPT', `Part "${part.name}": ${found} rows of ${table} restored, ${rows} in the manifest`, { details: { part: part.name, table } });
    }
  };
}

/** How apply reads parts: `streamed` is checked as it is read; `guard` runs before live data changes. */
interface ApplyOptions {
  streamed: string | undefined;
  guard(): Promise<void>;
}

async function apply(plan: RestorePlan, steps: Step[], point: (step: Step, at: RestorePoint) => Promise<void>, how: ApplyOptions): Promise<RestoredPart[]> {
  const progress: Progress = { step: '', done: 0, total: steps.length, rows: 0 };
  const parts: RestoredPart[] = [];
  for (const step of steps) {
    const name = step.target.meta.name;
    progress.step = name;
    plan.onProgress({ ...progress });
    const before = progress.rows;
    const chunks = dumpChunks(plan.reader.records(name, name === how.streamed), (rows) => {
      progress.rows += rows;
      plan.onProgress({ ...progress });
    });
    const counts = countsMatch(plan.reader.part(name));
    const check: RestoreOptions['check'] = async (count) => {
      await counts(count);
      await how.guard();
    };
    const options: RestoreOptions = { check, checkpoint: (at) => point(step, at) };
    if (step.atomic) {
      await step.adapter.restore(chunks, options);
    } else {
      step.touched = true;
      for (const table of step.existing) await step.adapter.dropTable(table);
      await point(step, 'dropped');
      await step.adapter.restore(chunks, options);
    }
    step.touched = true;
    parts.push({ name, tables: step.tables, rows: progress.rows - before, replaced: step.existing });
    progress.done++;
  }
  return parts;
}

/** Puts back what the failed restore replaced; answers the error to report. */
async function rollBack(steps: Step[], safety: ArchiveReader | undefined, cause: unknown): Promise<MoboError> {
  const failures: string[] = [];
  for (const step of steps.filter((s) => s.touched)) {
    try {
      const present = new Set((await step.adapter.introspect(true)).tables.map((t) => t.name));
      const added = step.tables.filter((t) => present.has(t) && !step.existing.includes(t));
      if (step.atomic) {
        if (step.existing.length > 0 && safety) await step.adapter.restore(dumpChunks(safety.records(step.target.meta.name)));
      } else {
        for (const table of step.existing) if (present.has(table)) await step.adapter.dropTable(table);
        if (step.existing.length > 0 && safety) await step.adapter.restore(dumpChunks(safety.records(step.target.meta.name)));
      }
      for (const table of added) await step.adapter.dropTable(table);
    } catch (err) {
      failures.push(`${step.target.meta.name}: ${describeError(err)}`);
    }
  }
  const reason = toMoboError(cause);
  const details = { cause: reason.toBody(), rolledBack: failures.length === 0, ...(safety ? { safetyBackup: safety.manifest.id } : {}), ...(failures.length ? { rollbackFailures: failures } : {}) };
  return new MoboError(
    'BACKUP_RESTORE_FAILED',
    failures.length === 0
      ? `The restore failed (${reason.message}); the previous data is in place`
      : `The restore failed (${reason.message}) and the previous data could not all be put back; it is in backup ${safety?.manifest.id ?? '(none)'}`,
    { details, cause },
  );
}
