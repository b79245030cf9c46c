import { MoboError } from './errors.js';

/**
 * What happens when a message arrives at a full mailbox:
 * - `reject`: the new message is refused; a local sender gets MAILBOX_FULL at once
 *   (backpressure), an ask rejects with it.
 * - `drop-oldest`: the oldest waiting message is dropped (its ask rejects with
 *   MAILBOX_FULL) and the new one is queued; for telemetry-like streams.
 */
export type OverflowPolicy = 'reject' | 'drop-oldest';

export interface MailboxOptions {
  capacity: number;
  overflow: OverflowPolicy;
  /**
   * How many messages may be in flight at once. Messages are always taken one at a
   * time and in order; with concurrency > 1 the actor may take the next while an
   * earlier one awaits I/O (a connection actor with a pool uses its pool size).
   */
  concurrency: number;
}

export const DEFAULT_MAILBOX: MailboxOptions = { capacity: 10_000, overflow: 'reject', concurrency: 1 };

export interface MailboxItem {
  /** Called when the item is dropped without being processed. */
  drop(error: MoboError): void;
}

/** A bounded FIFO that feeds a handler, never more than `concurrency` items at a time. */
export class Mailbox<T extends MailboxItem> {
  private queue: T[] = [];
  private head = 0;
  private inFlight = 0;
  private suspended = false;
  private scheduled = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly options: MailboxOptions,
    private readonly handle: (item: T) => void | Promise<unknown>,
  ) {}

  get size(): number {
    return this.queue.length - this.head;
  }

  get active(): number {
    return this.inFlight;
  }

  push(item: T): void {
    if (this.size >= this.options.capacity) {
      if (this.options.overflow === 'reject') {
        throw new MoboError('MAILBOX_FULL', undefined, { details: { capacity: this.options.capacity } });
      }
      this.shift()?.drop(new MoboError('MAILBOX_FULL', 'Dropped as the oldest message of a full mailbox'));
    }
    this.queue.push(item);
    this.schedule();
  }

  /** Stop taking messages (while the actor restarts); they keep queueing. */
  suspend(): void {
    this.suspended = true;
  }

  resume(): void {
    this.suspended = false;
    this.schedule();
  }

  /** Remove and return every waiting message. */
  drain(): T[] {
    const rest = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    return rest;
  }

  /** Resolves when nothing is in flight (waiting messages may remain if suspended). */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private shift(): T | undefined {
    if (this.head >= this.queue.length) return undefined;
    const item = this.queue[this.head]!;
    this.queue[this.head] = undefined as unknown as T;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  private schedule(): void {
    if (this.scheduled || this.suspended) return;
    this.scheduled = true;
    queueMicrotask(this.pump);
  }

  private readonly pump = (): void => {
    this.scheduled = false;
    while (!this.suspended && this.inFlight < this.options.concurrency) {
      const item = this.shift();
      if (item === undefined) break;
      this.inFlight++;
      let result: void | Promise<unknown>;
      try {
        result = this.handle(item);
      } catch {
        // The handler owns error reporting; a throw here only ends this item.
        result = undefined;
      }
      if (result instanceof Promise) {
        result.then(this.settle, this.settle);
      } else {
        this.settle();
      }
    }
  };

  private readonly settle = (): void => {
    this.inFlight--;
    if (this.inFlight === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
    if (this.size > 0) this.schedule();
  };
}
