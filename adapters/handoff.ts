/**
 * A producer that must run inside a callback (a transaction's, say) as a lazy async iterable
 * with a one-item handoff: the producer starts on the first next(); an item emitted while the
 * consumer waits goes straight to it, and the producer goes on to make the next one (reading
 * while the consumer works); an item emitted while the consumer is busy waits in the one slot,
 * and its `emit` resolves when the consumer takes it. So the producer is at most one item
 * ahead. When the consumer stops early (break, throw, return()), a pending or later `emit`
 * rejects with ConsumerStopped, the producer unwinds through its callback (a transaction rolls
 * back, its connection is released), and return() resolves once it has. One next() at a time,
 * as for-await calls it; an iterator abandoned without return() leaves its producer paused.
 */

/** What emit throws once the consumer has stopped; producers let it propagate. */
export class ConsumerStopped extends Error {
  constructor() {
    super('The consumer stopped reading');
    this.name = 'ConsumerStopped';
  }
}

export type Emit<T> = (item: T) => Promise<void>;

export function handoff<T>(produce: (emit: Emit<T>) => Promise<void>): AsyncIterable<T> {
  return { [Symbol.asyncIterator]: () => new Handoff(produce) };
}

interface Waiter<V> {
  resolve(value: V): void;
  reject(reason: unknown): void;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

class Handoff<T> implements AsyncIterator<T, undefined> {
  /** The producer's run, started by the first next(); it never rejects. */
  private run: Promise<void> | undefined;
  /** The item made while the consumer was busy, and the producer's emit waiting on it. */
  private slot: { item: T; taken: Waiter<void> } | undefined;
  /** The consumer's pending next(). */
  private consumer: Waiter<IteratorResult<T, undefined>> | undefined;
  private finished = false;
  private stopped = false;
  /** How the producer failed, until a next() or return() reports it. */
  private failure: { error: unknown } | undefined;

  constructor(private readonly produce: (emit: Emit<T>) => Promise<void>) {}

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.consumer) return Promise.reject(new Error('handoff: one next() at a time'));
    const slot = this.slot;
    if (slot) {
      this.slot = undefined;
      slot.taken.resolve();
      return Promise.resolve({ done: false, value: slot.item });
    }
    if (this.finished || this.stopped) return this.report().then(() => DONE);
    return new Promise((resolve, reject) => {
      this.consumer = { resolve, reject };
      this.run ??= this.produce((item) => this.emit(item)).then(
        () => this.finish(undefined),
        (error: unknown) => this.finish(error instanceof ConsumerStopped ? undefined : { error }),
      );
    });
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    this.stopped = true;
    const slot = this.slot;
    this.slot = undefined;
    slot?.taken.reject(new ConsumerStopped());
    await this.run;
    await this.report();
    return DONE;
  }

  private emit(item: T): Promise<void> {
    if (this.stopped) return Promise.reject(new ConsumerStopped());
    if (this.slot) return Promise.reject(new Error('handoff: await each emit before the next'));
    const consumer = this.consumer;
    if (consumer) {
      this.consumer = undefined;
      consumer.resolve({ done: false, value: item });
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => (this.slot = { item, taken: { resolve, reject } }));
  }

  private finish(failure: { error: unknown } | undefined): void {
    this.finished = true;
    this.failure = failure;
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) this.report().then(() => consumer.resolve(DONE), consumer.reject);
  }

  /** Throws the producer's failure once. */
  private async report(): Promise<void> {
    const failure = this.failure;
    this.failure = undefined;
    if (failure) throw failure.error;
  }
}
