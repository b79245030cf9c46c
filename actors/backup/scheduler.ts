import { Cron } from './cron.js';
import type { Clock, TimerHandle } from '../../runtime/index.js';
import type { Lease as ScheduleLease } from '../../cluster/index.js';

export interface Schedule {
  cron: string;
  /** After a scheduled backup, keep only this many archives. */
  keep?: number;
}

export interface SchedulerDeps {
  clock: Clock;
  lease: ScheduleLease;
  /** The schedule as stored now (shared by every node), or null when off. */
  load(): Promise<Schedule | null>;
  run(dueAt: number, schedule: Schedule): Promise<void>;
  /** After each due time is handled: whether this node ran it. */
  onTick(tick: { dueAt: number; ran: boolean; error?: unknown }): void;
}

/** Timers longer than this overflow setTimeout; a longer wait is taken in steps. */
const MAX_WAIT_MS = 2 ** 31 - 1;

/**
 * Runs backups on a cron schedule. Every node arms a timer for the next due time; when it
 * fires, the node re-reads the stored schedule (another node may have changed it) and claims
 * the due time through the lease, so exactly one node runs it. Times missed while no node was
 * up are not made up for: the next due time after start is the first.
 */
export class Scheduler {
  private schedule: Schedule | null = null;
  private timer: TimerHandle | undefined;
  private dueAt: number | undefined;
  private stopped = false;

  constructor(private readonly deps: SchedulerDeps) {}

  /** Loads the stored schedule and arms the timer; call again whenever it may have changed. */
  async reload(): Promise<void> {
    this.schedule = await this.deps.load();
    this.arm();
  }

  get next(): number | undefined {
    return this.dueAt;
  }

  get current(): Schedule | null {
    return this.schedule;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.dueAt = undefined;
    if (this.stopped || !this.schedule) return;
    const dueAt = Cron.parse(this.schedule.cron).next(this.deps.clock.now());
    this.dueAt = dueAt;
    this.wait(dueAt);
  }

  private wait(dueAt: number): void {
    const delay = Math.min(MAX_WAIT_MS, dueAt - this.deps.clock.now());
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.deps.clock.now() < dueAt) this.wait(dueAt);
      else void this.fire(dueAt);
    }, delay);
  }

  private async fire(dueAt: number): Promise<void> {
    let ran = false;
    let error: unknown;
    try {
      const expected = this.schedule?.cron;
      this.schedule = await this.deps.load();
      if (this.schedule && this.schedule.cron === expected && (await this.deps.lease.claim(dueAt))) {
        ran = true;
        await this.deps.run(dueAt, this.schedule);
      }
    } catch (err) {
      error = err;
    }
    this.arm();
    this.deps.onTick(error === undefined ? { dueAt, ran } : { dueAt, ran, error });
  }
}
