/**
 * One connection budget per database server (host:port), shared by every source of this
 * process that lives there: a permit is one open server connection. Connections belong to a
 * target (the same database, role and session options): an idle one serves any source of its
 * target, so a thousand schema tenants of one database share a few connections instead of
 * opening and closing one per request. When the budget is spent a request waits in its
 * tenant's queue; connections coming free go round-robin over the tenants waiting, so one
 * flooding tenant cannot starve the others; an idle connection of another target is closed to
 * make room. A wait that outlasts `waitMs` is DS_BUSY with Retry-After; nothing stays down
 * once the pressure passes (the next request gets a connection). budget-pool.ts is the face a
 * source sees.
 */
import { MoboError } from '../runtime/index.js';

/** The default budget when none is configured: at most this many, and half of what the server allows. */
export const DEFAULT_BUDGET = 50;
/** How long a request waits for a connection before DS_BUSY. */
export const DEFAULT_WAIT_MS = 2_000;

export interface BudgetOptions {
  /** Server connections this process may hold there; default min(50, (max_connections − reserved) / 2). */
  limit?: number;
  waitMs?: number;
}

/** How a source's connections are made: every source of one `target` makes the same kind. */
export interface ConnectionMaker {
  /** Connections of one target are interchangeable (same database, role, session options). */
  readonly target: string;
  open(): Promise<unknown>;
  close(client: unknown): Promise<void>;
  readonly idleTimeoutMs: number;
}

/** One source as the budget sees it (a BudgetPool). */
export interface BudgetTenant {
  readonly tenant: string;
  readonly maker: ConnectionMaker;
  /** At most this many connections in use (or being opened) for it at once. */
  readonly max: number;
}

export interface BudgetStats {
  server: string;
  budget: number;
  /** Server connections open (or being opened): inUse + idle. */
  open: number;
  inUse: number;
  idle: number;
  /** Requests waiting for a connection. */
  waiting: number;
  /** Connections opened since start: far above the budget means connections churn. */
  opened: number;
}

export interface TenantStats {
  inUse: number;
  opening: number;
  waiting: number;
  /** Idle connections of its target (shared with the other sources there). */
  idle: number;
}

/** A request in line: for a tenant's connection (`grant(client)`), or for a bare permit (`grant(undefined)`). */
interface Waiter {
  grant(client: unknown): void;
  fail(err: unknown): void;
  timer: NodeJS.Timeout;
}

interface Idle {
  client: unknown;
  timer: NodeJS.Timeout;
}

interface Target {
  maker: ConnectionMaker;
  idle: Idle[];
  /** Tenants of this target not ended: when none is left its idle connections close. */
  tenants: Set<BudgetTenant>;
}

interface Seat {
  inUse: number;
  opening: number;
  ended: boolean;
}

/** Holds a bare permit (a LISTEN connection): it is never idle and never shared. */
export interface PermitHolder {
  readonly tenant: string;
}

type InLine = BudgetTenant | PermitHolder;
const isTenant = (who: InLine): who is BudgetTenant => 'maker' in who;

export class ServerBudget {
  private open = 0;
  private opened = 0;
  /** Connections being closed: still open on the server, their permits not back yet. */
  private closing = 0;
  /** Tenants waiting, in round-robin order: a tenant served goes to the back. */
  private readonly queues = new Map<InLine, Waiter[]>();
  private readonly targets = new Map<string, Target>();
  private readonly seats = new Map<BudgetTenant, Seat>();
  private pumping = false;
  /** Set from the server's max_connections once known, unless configured. */
  private limit: number;
  private configured: boolean;
  waitMs: number;

  constructor(
    readonly server: string,
    options: BudgetOptions = {},
  ) {
    this.limit = options.limit ?? DEFAULT_BUDGET;
    this.configured = options.limit !== undefined;
    this.waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
  }

  /** A configured limit wins over the derived one; the latest configuration wins. */
  configure(options: BudgetOptions): void {
    if (options.limit !== undefined) {
      this.limit = options.limit;
      this.configured = true;
    }
    if (options.waitMs !== undefined) this.waitMs = options.waitMs;
    this.pump();
  }

  /** Whether the server's own limit is still to be read (nothing configured). */
  get wantsServerLimit(): boolean {
    return !this.configured;
  }

  /** The server's max_connections and reserved slots: the default budget is half of what is left, at most DEFAULT_BUDGET. */
  serverLimit(maxConnections: number, reserved: number): void {
    if (this.configured) return;
    this.limit = Math.max(1, Math.min(DEFAULT_BUDGET, Math.floor((maxConnections - reserved) / 2)));
    this.configured = true;
    this.pump();
  }

  stats(): BudgetStats {
    let waiting = 0;
    for (const q of this.queues.values()) waiting += q.length;
    let idle = 0;
    for (const t of this.targets.values()) idle += t.idle.length;
    return { server: this.server, budget: this.limit, open: this.open, inUse: this.open - idle, idle, waiting, opened: this.opened };
  }

  /** A source joins: its connections are shared with every other source of its target. */
  join(tenant: BudgetTenant): void {
    this.seats.set(tenant, { inUse: 0, opening: 0, ended: false });
    const key = tenant.maker.target;
    let target = this.targets.get(key);
    if (!target) this.targets.set(key, (target = { maker: tenant.maker, idle: [], tenants: new Set() }));
    target.tenants.add(tenant);
  }

  tenantStats(tenant: BudgetTenant): TenantStats {
    const seat = this.seats.get(tenant);
    return {
      inUse: seat?.inUse ?? 0,
      opening: seat?.opening ?? 0,
      waiting: this.queues.get(tenant)?.length ?? 0,
      idle: this.targets.get(tenant.maker.target)?.idle.length ?? 0,
    };
  }

  /** A connection of the tenant's target: an idle one, a new one under the budget, or one after a wait (else DS_BUSY). */
  lease(tenant: BudgetTenant): Promise<unknown> {
    const seat = this.seats.get(tenant);
    if (!seat || seat.ended) return Promise.reject(closing());
    // The steady state: nobody waits and an idle connection of the target is there.
    if (this.queues.size === 0 && seat.inUse < tenant.max) {
      const idle = this.targets.get(tenant.maker.target)?.idle.pop();
      if (idle) {
        clearTimeout(idle.timer);
        seat.inUse += 1;
        return Promise.resolve(idle.client);
      }
    }
    return this.enqueue(tenant);
  }

  /** A connection leased by `tenant` comes back: to the next in line, or idle; `broken` closes it. */
  giveBack(tenant: BudgetTenant, client: unknown, broken = false): void {
    const seat = this.seats.get(tenant);
    if (seat) {
      seat.inUse -= 1;
      this.forget(tenant, seat);
    }
    const target = this.targets.get(tenant.maker.target);
    if (broken || !target) void this.closeConnection(tenant.maker, client);
    else this.park(target, client);
    this.pump();
  }

  /** A connection that died while idle (its server went): dropped, its permit returned. */
  discard(maker: ConnectionMaker, client: unknown): void {
    const target = this.targets.get(maker.target);
    const at = target?.idle.findIndex((i) => i.client === client) ?? -1;
    if (!target || at < 0) return;
    const [idle] = target.idle.splice(at, 1);
    clearTimeout(idle!.timer);
    void this.closeConnection(maker, client);
    this.pump();
  }

  /** The source goes: its waiters get DS_UNAVAILABLE; the last source of a target closes the target's idle connections. */
  async leave(tenant: BudgetTenant): Promise<void> {
    const seat = this.seats.get(tenant);
    if (!seat || seat.ended) return;
    seat.ended = true;
    for (const waiter of this.queues.get(tenant) ?? []) {
      clearTimeout(waiter.timer);
      waiter.fail(closing());
    }
    this.queues.delete(tenant);
    if (seat.inUse === 0 && seat.opening === 0) this.seats.delete(tenant);
    const key = tenant.maker.target;
    const target = this.targets.get(key);
    if (!target) return;
    target.tenants.delete(tenant);
    if (target.tenants.size > 0) return;
    this.targets.delete(key);
    const closes = target.idle.splice(0).map((i) => (clearTimeout(i.timer), this.closeConnection(target.maker, i.client)));
    this.pump();
    await Promise.all(closes);
  }

  /** One bare permit for a connection the holder opens itself: at once when there is room, else after a wait, else DS_BUSY. */
  acquire(holder: PermitHolder): Promise<void> {
    return this.enqueue(holder).then(() => undefined);
  }

  /** A bare permit's connection closed. */
  release(_holder: PermitHolder): void {
    this.open = Math.max(0, this.open - 1);
    this.pump();
  }

  private enqueue(who: InLine): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const queue = this.queues.get(who) ?? [];
      if (queue.length === 0) this.queues.set(who, queue);
      const waiter: Waiter = {
        grant: resolve,
        fail: reject,
        timer: setTimeout(() => {
          const at = queue.indexOf(waiter);
          if (at >= 0) queue.splice(at, 1);
          if (queue.length === 0 && this.queues.get(who) === queue) this.queues.delete(who);
          // A source at its own pool size waited for itself; otherwise for the server's budget.
          const atMax = isTenant(who) && (this.seats.get(who)?.inUse ?? 0) >= who.max;
          reject(atMax ? poolBusy(who) : busy(this.server, this.limit));
        }, this.waitMs),
      };
      waiter.timer.unref();
      queue.push(waiter);
      this.pump();
    });
  }

  /**
   * Serves the line in round-robin order until nothing more can be served: the first tenant that
   * can be served gets one connection (or a permit, or a connection opened for it) and goes to
   * the back of the line.
   */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      let served = true;
      while (served && this.queues.size > 0) {
        served = false;
        for (const [who, queue] of this.queues) {
          if (!this.serve(who, queue)) continue;
          this.queues.delete(who);
          if (queue.length > 0) this.queues.set(who, queue);
          served = true;
          break;
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Serves the head of one tenant's queue if it can be: true when it took its turn. */
  private serve(who: InLine, queue: Waiter[]): boolean {
    if (!isTenant(who)) {
      if (!this.room()) return false;
      this.open += 1;
      const waiter = queue.shift()!;
      clearTimeout(waiter.timer);
      waiter.grant(undefined);
      return true;
    }
    const seat = this.seats.get(who)!;
    if (seat.inUse >= who.max) return false;
    const idle = this.targets.get(who.maker.target)?.idle.pop();
    if (idle) {
      clearTimeout(idle.timer);
      seat.inUse += 1;
      const waiter = queue.shift()!;
      clearTimeout(waiter.timer);
      waiter.grant(idle.client);
      return true;
    }
    // Connections already being opened for this tenant will serve the first of its waiters.
    if (seat.opening >= queue.length || seat.inUse + seat.opening >= who.max || !this.room()) return false;
    this.openFor(who, seat);
    return true;
  }

  /**
   * Whether one more connection may open now. At the limit, an idle connection of another target
   * is closed to make room (one per tenant in line at most): its permit comes back once the server
   * has let it go, and that pumps the line again.
   */
  private room(): boolean {
    if (this.open < this.limit) return true;
    if (this.closing >= this.queues.size) return false;
    for (const target of this.targets.values()) {
      const idle = target.idle.shift();
      if (!idle) continue;
      clearTimeout(idle.timer);
      void this.closeConnection(target.maker, idle.client);
      return false;
    }
    return false;
  }

  /** Opens one connection for `tenant`; it goes to the head of its queue (idle if none waits); a failure fails the head. */
  private openFor(tenant: BudgetTenant, seat: Seat): void {
    this.open += 1;
    this.opened += 1;
    seat.opening += 1;
    tenant.maker.open().then(
      (client) => {
        seat.opening -= 1;
        const queue = this.queues.get(tenant);
        const waiter = queue?.shift();
        if (queue?.length === 0) this.queues.delete(tenant);
        const target = this.targets.get(tenant.maker.target);
        if (waiter && !seat.ended) {
          clearTimeout(waiter.timer);
          seat.inUse += 1;
          waiter.grant(client);
        } else if (target) this.park(target, client);
        else void this.closeConnection(tenant.maker, client);
        this.forget(tenant, seat);
        this.pump();
      },
      (err: unknown) => {
        seat.opening -= 1;
        this.open = Math.max(0, this.open - 1);
        const queue = this.queues.get(tenant);
        const waiter = queue?.shift();
        if (queue?.length === 0) this.queues.delete(tenant);
        if (waiter) {
          clearTimeout(waiter.timer);
          waiter.fail(err);
        }
        this.forget(tenant, seat);
        this.pump();
      },
    );
  }

  /** An idle connection waits for the next request of its target, and closes after the idle timeout. */
  private park(target: Target, client: unknown): void {
    const idle: Idle = {
      client,
      timer: setTimeout(() => {
        const at = target.idle.indexOf(idle);
        if (at < 0) return;
        target.idle.splice(at, 1);
        void this.closeConnection(target.maker, client);
        this.pump();
      }, target.maker.idleTimeoutMs),
    };
    idle.timer.unref();
    target.idle.push(idle);
  }

  /** The permit comes back when the connection has closed, so the server never sees more than the budget. */
  private async closeConnection(maker: ConnectionMaker, client: unknown): Promise<void> {
    this.closing += 1;
    await maker.close(client).catch(() => undefined);
    this.closing -= 1;
    this.open = Math.max(0, this.open - 1);
    this.pump();
  }

  /** An ended tenant is forgotten once nothing of it is in use or being opened. */
  private forget(tenant: BudgetTenant, seat: Seat): void {
    if (seat.ended && seat.inUse === 0 && seat.opening === 0) this.seats.delete(tenant);
  }
}

function closing(): MoboError {
  return new MoboError('DS_UNAVAILABLE', 'The source is closing');
}

function busy(server: string, limit: number): MoboError {
  return new MoboError('DS_BUSY', `Every connection this node may open to the database server is in use (budget ${limit}); retry shortly`, {
    details: { reason: 'budget_exhausted', budget: limit, retryAfterSeconds: 1, server },
  });
}

function poolBusy(who: InLine): MoboError {
  const max = isTenant(who) ? who.max : 1;
  return new MoboError('DS_BUSY', 'Every connection of this source is in use; retry shortly', { details: { reason: 'pool_exhausted', poolMax: max, retryAfterSeconds: 1 } });
}

const budgets = new Map<string, ServerBudget>();

/** The budget of one server for this process (made on first use). */
export function serverBudget(server: string, options: BudgetOptions = {}): ServerBudget {
  let budget = budgets.get(server);
  if (!budget) budgets.set(server, (budget = new ServerBudget(server, options)));
  else budget.configure(options);
  return budget;
}

/** Every server this process has a budget for. */
export function budgetStats(): BudgetStats[] {
  return [...budgets.values()].map((b) => b.stats());
}
