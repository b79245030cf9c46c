/**
 * One connection budget per database server (host:port), shared by every source of this
 * process that lives there: a permit is one open server connection. When the budget is spent,
 * a request waits (briefly) in its tenant's queue; permits coming free go round-robin over the
 * tenants waiting, so one flooding tenant cannot starve the others, and a tenant over its fair
 * share hands its connection back instead of reusing it while others wait. Idle connections
 * of other tenants are closed to make room. A wait that outlasts `waitMs` is DS_BUSY with
 * Retry-After; nothing stays down once the pressure passes (the next request gets a permit).
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

/** A pool as the budget sees it: a tenant that holds permits and may give idle ones back. */
export interface BudgetTenant {
  readonly tenant: string;
  /** Closes one idle connection (its permit comes back through release); false when it has none. */
  shedIdle(): boolean;
  /** Its open connections that no request holds. */
  idleCount(): number;
}

export interface BudgetStats {
  server: string;
  budget: number;
  /** Server connections open: inUse + idle. */
  open: number;
  inUse: number;
  idle: number;
  /** Requests waiting for a permit. */
  waiting: number;
}

interface Waiter {
  grant(): void;
  fail(err: MoboError): void;
}

export class ServerBudget {
  private open = 0;
  private readonly queues = new Map<BudgetTenant, Waiter[]>();
  private readonly held = new Map<BudgetTenant, number>();
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
    this.grantWaiting();
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
    this.grantWaiting();
  }

  stats(): BudgetStats {
    let waiting = 0;
    for (const q of this.queues.values()) waiting += q.length;
    let idle = 0;
    for (const who of this.held.keys()) idle += who.idleCount();
    return { server: this.server, budget: this.limit, open: this.open, inUse: this.open - idle, idle, waiting };
  }

  /** One permit for `who`: at once when the budget has room, else after a wait, else DS_BUSY. */
  acquire(who: BudgetTenant): Promise<void> {
    if (this.open < this.limit && this.queues.size === 0) {
      this.take(who);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const queue = this.queues.get(who) ?? [];
      if (queue.length === 0) this.queues.set(who, queue);
      const timer = setTimeout(() => {
        const at = queue.indexOf(waiter);
        if (at >= 0) queue.splice(at, 1);
        if (queue.length === 0 && this.queues.get(who) === queue) this.queues.delete(who);
        waiter.fail(busy(this.server, this.limit));
      }, this.waitMs);
      timer.unref();
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(timer);
          this.take(who);
          resolve();
        },
        fail: reject,
      };
      queue.push(waiter);
      this.grantWaiting();
      // No room: ask a tenant holding idle connections to close one (the waiter gets its permit).
      if (this.open >= this.limit) this.shedOne(who);
    });
  }

  /** A connection of `who` closed. */
  release(who: BudgetTenant): void {
    this.open = Math.max(0, this.open - 1);
    const n = (this.held.get(who) ?? 1) - 1;
    if (n <= 0) this.held.delete(who);
    else this.held.set(who, n);
    this.grantWaiting();
  }

  /** Whether other tenants wait for a permit (a connection going idle then closes instead). */
  othersWaiting(who: BudgetTenant): boolean {
    for (const [tenant, queue] of this.queues) if (tenant !== who && queue.length > 0) return true;
    return false;
  }

  /** Whether `who` should close a connection it could reuse: others wait and it holds more than its share. */
  shouldYield(who: BudgetTenant): boolean {
    if (this.open < this.limit || !this.othersWaiting(who)) return false;
    const tenants = new Set([...this.held.keys(), ...this.queues.keys()]).size;
    return (this.held.get(who) ?? 0) > Math.max(1, Math.floor(this.limit / tenants));
  }

  private take(who: BudgetTenant): void {
    this.open += 1;
    this.held.set(who, (this.held.get(who) ?? 0) + 1);
  }

  /** Round-robin: the first tenant in line gets one permit and goes to the back of the line. */
  private grantWaiting(): void {
    while (this.open < this.limit && this.queues.size > 0) {
      const [who, queue] = this.queues.entries().next().value as [BudgetTenant, Waiter[]];
      this.queues.delete(who);
      const waiter = queue.shift();
      if (queue.length > 0) this.queues.set(who, queue);
      waiter?.grant();
    }
  }

  private shedOne(except: BudgetTenant): void {
    for (const who of this.held.keys()) if (who !== except && who.shedIdle()) return;
    for (const who of this.held.keys()) if (who === except && who.shedIdle()) return;
  }
}

function busy(server: string, limit: number): MoboError {
  return new MoboError('DS_BUSY', `Every connection this node may open to the database server is in use (budget ${limit}); retry shortly`, {
    details: { reason: 'budget_exhausted', budget: limit, retryAfterSeconds: 1, server },
  });
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
