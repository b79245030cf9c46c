/**
 * One source's connection pool, every connection under its server's budget (server-budget.ts):
 * at most `max` connections, each opened only with a permit; an idle connection closes after
 * `idleTimeoutMs` (a quiet source holds none) and the next request opens one again. A released
 * connection goes to the next request of this source, unless other tenants wait for the budget
 * and this one holds more than its share: then it is closed and its permit moves on.
 * Driver-neutral: `open` and `close` make and end one connection.
 */
import { MoboError } from '../runtime/errors.js';
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

  /** A connection of this pool: an idle one, a new one under the budget, or the next one released. */
  connect(): Promise<PoolConnection<C>> {
    if (this.ended) return Promise.reject(new MoboError('DS_UNAVAILABLE', 'The source is closing'));
    const idle = this.idle.pop();
    if (idle) {
      clearTimeout(idle.timer);
      return Promise.resolve(this.lease(idle.client));
    }
    if (this.opened + this.opening < this.options.max) return this.openOne();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.pending.indexOf(entry);
        if (at >= 0) this.pending.splice(at, 1);
        reject(new MoboError('DS_BUSY', 'Every connection of this source is in use; retry shortly', { details: { reason: 'pool_exhausted', retryAfterSeconds: 1 } }));
      }, this.budget.waitMs);
      timer.unref();
      const entry: Pending<C> = { resolve, reject, timer };
      this.pending.push(entry);
    });
  }

  /** A connection that died while idle (its server went): dropped, its permit returned. */
  discard(client: C): void {
    const at = this.idle.findIndex((i) => i.client === client);
    if (at < 0) return;
    const [idle] = this.idle.splice(at, 1);
    clearTimeout(idle!.timer);
    void this.closeOne(client);
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

  private async openOne(): Promise<PoolConnection<C>> {
    this.opening += 1;
    try {
      await this.budget.acquire(this);
    } catch (err) {
      this.opening -= 1;
      throw err;
    }
    let client: C;
    try {
      client = await this.options.open();
    } catch (err) {
      this.opening -= 1;
      this.budget.release(this);
      throw err;
    }
    this.opening -= 1;
    this.opened += 1;
    if (this.ended) {
      void this.closeOne(client);
      throw new MoboError('DS_UNAVAILABLE', 'The source is closing');
    }
    return this.lease(client);
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

  private giveBack(client: C, broken: boolean): void {
    if (broken || this.ended || this.budget.shouldYield(this)) {
      void this.closeOne(client);
      return;
    }
    const next = this.pending.shift();
    if (next) {
      clearTimeout(next.timer);
      next.resolve(this.lease(client));
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

  /** Waiters left without a connection (one was closed) try to open one under the budget. */
  private pumpPending(): void {
    while (!this.ended && this.pending.length > 0 && this.opened + this.opening < this.options.max) {
      const next = this.pending.shift()!;
      clearTimeout(next.timer);
      this.openOne().then(next.resolve, next.reject);
    }
  }
}
