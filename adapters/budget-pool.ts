/**
 * One source's connection pool, every connection under its server's budget (server-budget.ts):
 * at most `max` connections, each opened only with a permit; an idle connection closes after
 * `idleTimeoutMs` (a quiet source holds none) and the next request opens one again. A released
 * connection goes to the next request of this source, unless other tenants wait for the budget
 * and this one holds more than its share: then it is closed and its permit moves on.
 * Driver-neutral: `open` and `close` make and end one connection.
 */
import { MoboError } from '../runtime/index.js';
import type { BudgetTenant, ServerBudget } from './server-budget.js';

export interface PoolConnection<C> {
  client: C;
  /** Back to the pool; `broken` closes it instead. */
  release(broken?: boolean): void;
}

export interface BudgetPoolOptions<C> {
  tenant: string;
  max: number;
  idleTimeoutMs: number;
  open(): Promise<C>;
  close(client: C): Promise<void>;
}

export interface PoolStats {
  open: number;
  idle: number;
  inUse: number;
  waiting: number;
}

interface Idle<C> {
  client: C;
  timer: NodeJS.Timeout;
}

interface Pending<C> {
  resolve(connection: PoolConnection<C>): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
}

export class BudgetPool<C> implements BudgetTenant {
  readonly tenant: string;
  private readonly idle: Idle<C>[] = [];
  private readonly pending: Pending<C>[] = [];
  private opened = 0;
  private opening = 0;
  private ended = false;

  constructor(
    private readonly budget: ServerBudget,
    private readonly options: BudgetPoolOptions<C>,
  ) {
    this.tenant = options.tenant;
  }

  stats(): PoolStats {
    return { open: this.opened, idle: this.idle.length, inUse: this.opened - this.idle.length, waiting: this.pending.length };
  }

  /**
   * A connection of this pool: an idle one, else the next one released or opened. Requests
   * wait in one queue; connections are opened (under the budget) for the queue, not for one
   * request, so a connection released meanwhile serves the head of the queue at once.
   */
  connect(): Promise<PoolConnection<C>> {
    if (this.ended) return Promise.reject(new MoboError('DS_UNAVAILABLE', 'The source is closing'));
    const idle = this.idle.pop();
    if (idle) {
      clearTimeout(idle.timer);
      return Promise.resolve(this.lease(idle.client));
    }
    const waiting = new Promise<PoolConnection<C>>((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.pending.indexOf(entry);
        if (at >= 0) this.pending.splice(at, 1);
        reject(new MoboError('DS_BUSY', 'Every connection of this source is in use; retry shortly', { details: { reason: 'pool_exhausted', retryAfterSeconds: 1 } }));
      }, this.budget.waitMs + 1_000);
      timer.unref();
      const entry: Pending<C> = { resolve, reject, timer };
      this.pending.push(entry);
    });
    this.pumpPending();
    return waiting;
  }

  /** A connection that died while idle (its server went): dropped, its permit returned. */
  discard(client: C): void {
    const at = this.idle.findIndex((i) => i.client === client);
    if (at < 0) return;
    const [idle] = this.idle.splice(at, 1);
    clearTimeout(idle!.timer);
    void this.closeOne(client);
  }

  idleCount(): number {
    return this.idle.length;
  }

  shedIdle(): boolean {
    const idle = this.idle.shift();
    if (!idle) return false;
    clearTimeout(idle.timer);
    this.closeOne(idle.client);
    return true;
  }

  /** Closes idle connections now and each busy one when released; waiters get DS_UNAVAILABLE. */
  async end(): Promise<void> {
    this.ended = true;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(new MoboError('DS_UNAVAILABLE', 'The source is closing'));
    }
    await Promise.all(this.idle.splice(0).map((i) => (clearTimeout(i.timer), this.closeOne(i.client))));
  }

  /** Opens one connection for the queue; a failure (DS_BUSY, the server's refusal) goes to the head of the queue. */
  private async openOne(): Promise<void> {
    this.opening += 1;
    let client: C;
    try {
      await this.budget.acquire(this);
      try {
        client = await this.options.open();
      } catch (err) {
        this.budget.release(this);
        throw err;
      }
    } catch (err) {
      this.opening -= 1;
      const head = this.pending.shift();
      if (head) {
        clearTimeout(head.timer);
        head.reject(err);
      }
      this.pumpPending();
      return;
    }
    this.opening -= 1;
    this.opened += 1;
    this.giveBack(client, false, true);
  }

  private lease(client: C): PoolConnection<C> {
    let released = false;
    return {
      client,
      release: (broken = false) => {
        if (released) return;
        released = true;
        this.giveBack(client, broken);
      },
    };
  }

  /** A connection back from a request (or `fresh`: just opened with a permit granted in turn). */
  private giveBack(client: C, broken: boolean, fresh = false): void {
    if (broken || this.ended || (!fresh && this.budget.shouldYield(this))) {
      void this.closeOne(client);
      return;
    }
    const next = this.pending.shift();
    if (next) {
      clearTimeout(next.timer);
      next.resolve(this.lease(client));
      return;
    }
    // Nothing of ours wants it and another tenant waits for the budget: its permit moves on.
    if (this.budget.othersWaiting(this)) {
      void this.closeOne(client);
      return;
    }
    const timer = setTimeout(() => {
      const at = this.idle.findIndex((i) => i.client === client);
      if (at >= 0) {
        this.idle.splice(at, 1);
        void this.closeOne(client);
      }
    }, this.options.idleTimeoutMs);
    timer.unref();
    this.idle.push({ client, timer });
  }

  /** Ends one connection and returns its permit; a waiter of this pool may then open a new one. */
  private async closeOne(client: C): Promise<void> {
    this.opened -= 1;
    this.budget.release(this);
    this.pumpPending();
    await this.options.close(client).catch(() => undefined);
  }

  /** Opens connections for the requests waiting beyond those already being opened, up to `max`. */
  private pumpPending(): void {
    while (!this.ended && this.pending.length > this.opening && this.opened + this.opening < this.options.max) void this.openOne();
  }
}
