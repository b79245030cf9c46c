/**
 * At most `limit` tasks running at once, for work whose order does not matter (restore's insert
 * batches). The first failure stops new work: `add` and `drain` throw it, once every task
 * already started has settled, so a caller never returns with work still running.
 */
export class InFlight {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {}

  /** Starts `task` once a slot is free. */
  async add(task: () => Promise<unknown>): Promise<void> {
    while (this.running.size >= this.limit && !this.failure) await Promise.race(this.running);
    if (this.failure) return this.drain();
    const run: Promise<void> = Promise.resolve()
      .then(task)
      .then(
        () => undefined,
        (error: unknown) => void (this.failure ??= { error }),
      )
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  /** Waits for every started task; throws the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    if (this.failure) throw this.failure.error;
  }

  /** Waits for every started task, whatever their outcome. */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }
}
