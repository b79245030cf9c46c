import type { Row } from '../../adapters/index.js';

interface Pending {
  row: Row;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class InsertBatcher {
  private queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    private readonly insert: (rows: Row[]) => Promise<void>,
    private readonly maxInFlight = 4,
    private readonly maxBatch = 1_000,
  ) {}

  add(row: Row): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      void this.flush(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      await this.insert(batch.map((p) => p.row));
      for (const p of batch) p.resolve();
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      // Alone, each row gets its own answer: the good ones land, the bad one is refused.
      await Promise.all(batch.map((p) => this.insert([p.row]).then(p.resolve, p.reject)));
    }
  }
}
