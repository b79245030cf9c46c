/**
 * How many logical replication readers this process may run per database server: a quarter of
 * the server's connection budget (server-budget.ts), so replication connections, one per
 * source, never crowd out the queries (triggers share one LISTEN per database instead). A
 * source past the share runs on triggers, and `auto` says why. Each reader's connection still
 * takes its permit of the budget while open; this bounds how many there can be (and with them
 * the replication slots and walsenders a node holds).
 */
import type { ServerBudget } from './server-budget.js';

export const REPLICATION_SHARE_DIVISOR = 4;

const readers = new Map<string, number>();

/** A claim on one reader of `budget`'s server (its release), or why there is none. */
export function claimReplication(budget: ServerBudget): (() => void) | string {
  const limit = budget.stats().budget;
  const allowed = Math.floor(limit / REPLICATION_SHARE_DIVISOR);
  const held = readers.get(budget.server) ?? 0;
  if (held >= allowed) return `logical readers are at their share of the connection budget (${held} of ${allowed}, a quarter of ${limit})`;
  readers.set(budget.server, held + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    readers.set(budget.server, Math.max(0, (readers.get(budget.server) ?? 1) - 1));
  };
}
