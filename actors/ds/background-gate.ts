/**
 * Background work of the connection actors goes a few at a time: connecting (every source of a
 * node at boot) and the periodic schema check (every source re-reads its catalog). A thousand
 * at once would each wait behind all the others for the server's connections, so every one
 * would be slow, many would time out, and the requests of the moment would wait behind them
 * all; in turn, the first are done at once. A source that a request waits for is let through
 * ahead of the line (`hurry`). Process-wide, like the connection budget it protects
 * (adapters/server-budget.ts).
 */
export const BACKGROUND_TASKS = 8;

export interface GateTicket {
  /** Runs it now if it is still in line (a request waits for this source). */
  hurry(): void;
  /** Leaves the line if it has not run yet (the source stops). */
  cancel(): void;
}

export class BackgroundGate {
  private running = 0;
  /** Insertion order is the line. */
  private readonly line = new Set<() => void>();

  constructor(private readonly limit = BACKGROUND_TASKS) {}

  /** Tasks running or in line: 0 once every source of the node has had its turn. */
  get pending(): number {
    return this.running + this.line.size;
  }

  /** Runs `task` when a place is free, or at once on `hurry()`. */
  enter(task: () => Promise<unknown>): GateTicket {
    let state: 'waiting' | 'started' | 'cancelled' = 'waiting';
    const start = (): void => {
      if (state !== 'waiting') return;
      state = 'started';
      this.line.delete(start);
      this.running += 1;
      void task()
        .catch(() => undefined)
        .finally(() => {
          this.running -= 1;
          this.next();
        });
    };
    if (this.running < this.limit && this.line.size === 0) start();
    else this.line.add(start);
    return {
      hurry: start,
      cancel: () => {
        if (state !== 'waiting') return;
        state = 'cancelled';
        this.line.delete(start);
      },
    };
  }

  private next(): void {
    for (const start of this.line) {
      if (this.running >= this.limit) return;
      start();
    }
  }
}

/** The gate every connection actor of this process goes through. */
export const backgroundGate = new BackgroundGate();
