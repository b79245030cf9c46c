/**
 * The edge's traffic as a drain sees it: requests in flight, and whether new ones are still
 * taken. Lifecycle: `serving` → `draining` (health answers 503 so a load balancer takes
 * the node out, requests are still served) → `refusing` (new requests answer 503
 * NODE_DRAINING, retryable elsewhere; in-flight ones finish) → `drained`. The operator
 * API, `/health` and the admin page are exempt, so the node can still be watched.
 */
export type TrafficState = 'serving' | 'draining' | 'refusing' | 'drained';

export class Traffic {
  private current: TrafficState = 'serving';
  private count = 0;
  private readonly idle = new Set<() => void>();

  get state(): TrafficState {
    return this.current;
  }

  get inFlight(): number {
    return this.count;
  }

  /** Moves forward only (a drain is not undone: the node leaves). */
  advance(to: Exclude<TrafficState, 'serving'>): void {
    const order: TrafficState[] = ['serving', 'draining', 'refusing', 'drained'];
    if (order.indexOf(to) > order.indexOf(this.current)) this.current = to;
  }

  get refusing(): boolean {
    return this.current === 'refusing' || this.current === 'drained';
  }

  begin(): void {
    this.count++;
  }

  end(): void {
    this.count--;
    if (this.count === 0) for (const wake of [...this.idle]) wake();
  }

  /** Resolves true once nothing is in flight, or false when `withinMs` passes first. */
  settled(withinMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.idle.delete(wake);
        resolve(ok);
      };
      const wake = (): void => done(true);
      const timer = setTimeout(() => done(false), withinMs);
      this.idle.add(wake);
    });
  }
}
