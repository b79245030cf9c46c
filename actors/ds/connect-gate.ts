/**
 * Sources that connect in the background (every source of a node at boot) go a few at a time.
 * A thousand at once would each wait behind all the others for the server's connections, so
 * every one would be slow to come up and many would time out; in turn, the first are up at
 * once. A source that a request waits for is let through ahead of the line (`hurry`).
 * Process-wide, like the connection budget it protects (adapters/server-budget.ts).
 */
export const BACKGROUND_CONNECTS = 8;

export interface GateTicket {
  /** Runs it now if it is still in line (a request waits for this source). */
  hurry(): void;
  /** Leaves the line if it has not run yet (the source stops). */
  cancel(): void;
}

export class ConnectGate {
  private running = 0;
  /** Insertion order is the line. */
  private readonly line = new Set<() => void>();

  constructor(private readonly limit = BACKGROUND_CONNECTS) {}

  /** Runs `connect` when a place is free, or at once on `hurry()`. */
  enter(connect: () => Promise<void>): GateTicket {
    let state: 'waiting' | 'started' | 'cancelled' = 'waiting';
    const start = (): void => {
      if (state !== 'waiting') return;
      state = 'started';
      this.line.delete(start);
      this.running += 1;
      void connect()
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
export const connectGate = new ConnectGate();
