import { type ErrorBody, type ErrorCode, type EventBus, MoboError, nextId, toMoboError } from '../../runtime/index.js';

export type JobState = 'running' | 'done' | 'failed';

export interface Job<P = unknown, R = unknown> {
  id: string;
  kind: string;
  state: JobState;
  progress: P;
  startedAt: string;
  finishedAt?: string;
  result?: R;
  error?: ErrorBody;
}

export interface JobTableOptions {
  events: EventBus;
  /** Events go out as `<topic>.progress|done|failed`, each with a copy of the job. */
  topic: string;
  notFound: ErrorCode;
  now(): Date;
  /** Finished jobs remembered for `job` lookups. */
  keep?: number;
}

/**
 * Long work an actor answers at once: `start` returns the job and runs the work in the
 * background, off the mailbox, so the actor keeps taking messages; progress and the end go
 * out as events, and `get` reports a job by id.
 */
export class JobTable<P> {
  private readonly jobs = new Map<string, Job<P>>();
  private readonly settling = new Map<string, Promise<void>>();

  constructor(private readonly opts: JobTableOptions) {}

  start<R>(kind: string, initial: P, work: (report: (progress: P) => void) => Promise<R>): Job<P, R> {
    const job: Job<P> = { id: nextId(), kind, state: 'running', progress: initial, startedAt: this.opts.now().toISOString() };
    this.jobs.set(job.id, job);
    this.forget();
    const emit = (what: string): void => this.opts.events.emit(`${this.opts.topic}.${what}`, { ...job });
    const settled = Promise.resolve()
      .then(() =>
        work((progress) => {
          job.progress = progress;
          emit('progress');
        }),
      )
      .then(
        (result) => {
          Object.assign(job, { state: 'done', result, finishedAt: this.opts.now().toISOString() });
          emit('done');
        },
        (err: unknown) => {
          Object.assign(job, { state: 'failed', error: toMoboError(err).toBody(), finishedAt: this.opts.now().toISOString() });
          emit('failed');
        },
      )
      .finally(() => this.settling.delete(job.id));
    this.settling.set(job.id, settled);
    return { ...job } as Job<P, R>;
  }

  get(id: string): Job<P> {
    const job = this.jobs.get(id);
    if (!job) throw new MoboError(this.opts.notFound, `No job "${id}"`, { details: { id } });
    return { ...job };
  }

  /** Resolves with the job once it is done or failed. */
  async finished(id: string): Promise<Job<P>> {
    await this.settling.get(id);
    return this.get(id);
  }

  running(): Job<P>[] {
    return [...this.jobs.values()].filter((j) => j.state === 'running').map((j) => ({ ...j }));
  }

  list(): Job<P>[] {
    return [...this.jobs.values()].map((j) => ({ ...j }));
  }

  private forget(): void {
    const finished = [...this.jobs.values()].filter((j) => j.state !== 'running');
    for (const j of finished.slice(0, Math.max(0, finished.length - (this.opts.keep ?? 100)))) this.jobs.delete(j.id);
  }
}
