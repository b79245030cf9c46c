/**
 * The COPY runs of a staged restore, several tables at once (dump.ts). A Postgres dump reads its
 * tables on several connections of one snapshot, so their chunks come interleaved; each chunk
 * goes to its table's open COPY, and the tables load side by side as they were read. At most
 * `limit` COPYs are open (the stage has that many connections): a chunk of yet another table
 * ends the COPY fed least recently (a later chunk of that table opens a new one), so an archive
 * in any order loads, a table-by-table one with one COPY per table as before.
 */

/** Chunks (about 1 MiB each) waiting per table before the reader waits for that table's COPY. */
const QUEUED_CHUNKS = 2;

/** Where the chunks of one table's COPY wait; iterating it is what the COPY reads. */
class ChunkQueue implements AsyncIterable<string> {
  private readonly items: string[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private wakeReader: (() => void) | undefined;
  private wakeWriter: (() => void) | undefined;

  /** Resolves once the chunk is queued; rejects when the queue failed. */
  async push(item: string): Promise<void> {
    while (this.items.length >= QUEUED_CHUNKS && !this.failure) await new Promise<void>((r) => (this.wakeWriter = r));
    if (this.failure) throw this.failure.error;
    this.items.push(item);
    this.wake();
  }

  /** No more chunks: the COPY ends once it has read the queued ones. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  /** The COPY reading this queue fails with `error` (its rows are dropped with the stage); a waiting push rejects. */
  fail(error: unknown): void {
    this.failure ??= { error };
    this.wake();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for (;;) {
      if (this.failure) throw this.failure.error;
      const item = this.items.shift();
      if (item !== undefined) {
        this.wake();
        yield item;
      } else if (this.ended) {
        return;
      } else {
        await new Promise<void>((r) => (this.wakeReader = r));
      }
    }
  }

  private wake(): void {
    const reader = this.wakeReader;
    const writer = this.wakeWriter;
    this.wakeReader = this.wakeWriter = undefined;
    reader?.();
    writer?.();
  }
}

type Copy = (table: string, columns: readonly string[], data: AsyncIterable<string>) => Promise<unknown>;

export class CopyStreams {
  /** Open COPYs by table, least recently fed first. */
  private readonly open = new Map<string, ChunkQueue>();
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly copy: Copy,
    private readonly limit: number,
  ) {}

  /** Hands a chunk to its table's COPY (opening one); waits while that COPY has enough queued. */
  async push(table: string, columns: readonly string[], data: string): Promise<void> {
    if (this.failure) throw this.failure.error;
    let queue = this.open.get(table);
    if (queue) {
      this.open.delete(table);
    } else {
      if (this.open.size >= this.limit) this.close(this.open.keys().next().value as string);
      queue = this.start(table, columns);
    }
    this.open.set(table, queue);
    await queue.push(data);
  }

  /** Ends every COPY and waits for all of them; throws the first failure. */
  async finish(): Promise<void> {
    for (const table of [...this.open.keys()]) this.close(table);
    await this.settle();
    if (this.failure) throw this.failure.error;
  }

  /** Fails every open COPY with `reason` and waits until none runs (the stage can then be dropped). */
  async abort(reason: unknown): Promise<void> {
    for (const queue of this.open.values()) queue.fail(reason);
    this.open.clear();
    await this.settle();
  }

  private start(table: string, columns: readonly string[]): ChunkQueue {
    const queue = new ChunkQueue();
    const run: Promise<void> = this.copy(table, columns, queue)
      .then(
        () => undefined,
        (error: unknown) => {
          this.failure ??= { error };
          // The reader may be waiting on this queue: it learns of the failure there.
          queue.fail(error);
        },
      )
      .finally(() => this.running.delete(run));
    this.running.add(run);
    return queue;
  }

  private close(table: string): void {
    this.open.get(table)?.end();
    this.open.delete(table);
  }

  private async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
