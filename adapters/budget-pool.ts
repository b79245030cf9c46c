/**
 * One source's connection pool, as its driver sees it: every connection comes from its
 * server's budget (server-budget.ts), which shares the idle ones among the sources of one
 * target (same database, role and session options), closes them after `idleTimeoutMs` (a
 * quiet source holds none) and serves the sources waiting in turn. At most `max` connections
 * are in use for this source at once. Driver-neutral: `open` and `close` make and end one
 * connection; `target` says which connections are interchangeable.
 */
import type { BudgetTenant, ConnectionMaker, ServerBudget } from './server-budget.js';

export interface PoolConnection<C> {
  client: C;
  /** Back to the pool; `broken` closes it instead. */
  release(broken?: boolean): void;
}

export interface BudgetPoolOptions<C> {
  tenant: string;
  /** Connections of one target serve every source of it: a key naming database, role and session options. */
  target: string;
  max: number;
  idleTimeoutMs: number;
  open(): Promise<C>;
  close(client: C): Promise<void>;
}

export interface PoolStats {
  open: number;
  /** Idle connections of its target (shared with the other sources there). */
  idle: number;
  inUse: number;
  waiting: number;
}

export class BudgetPool<C> implements BudgetTenant {
  readonly tenant: string;
  readonly max: number;
  readonly maker: ConnectionMaker;

  constructor(
    private readonly budget: ServerBudget,
    options: BudgetPoolOptions<C>,
  ) {
    this.tenant = options.tenant;
    this.max = options.max;
    this.maker = {
      target: options.target,
      idleTimeoutMs: options.idleTimeoutMs,
      open: () => options.open(),
      close: (client) => options.close(client as C),
    };
    budget.join(this);
  }

  stats(): PoolStats {
    const s = this.budget.tenantStats(this);
    return { open: s.inUse + s.opening, idle: s.idle, inUse: s.inUse, waiting: s.waiting };
  }

  /** A connection of this source: an idle one of its target, a new one, or one after a wait in line (else DS_BUSY). */
  async connect(): Promise<PoolConnection<C>> {
    const client = (await this.budget.lease(this)) as C;
    let released = false;
    return {
      client,
      release: (broken = false) => {
        if (released) return;
        released = true;
        this.budget.giveBack(this, client, broken);
      },
    };
  }

  /** A connection that died while idle (its server went): dropped, its permit returned. */
  discard(client: C): void {
    this.budget.discard(this.maker, client);
  }

  /** Waiters get DS_UNAVAILABLE; connections in use close when released if no other source shares them. */
  end(): Promise<void> {
    return this.budget.leave(this);
  }
}
