import { z } from 'zod';
import type { DataClient } from '../ds/protocol.js';
import type { AccessGrant, AccessRequest, Principal } from './principal.js';
import { iso, where } from './records.js';
import { operationSchema, tablePatternSchema } from './scopes.js';
import { tableMatches } from './table-pattern.js';
import { POLICIES } from './tables.js';
import type { Filter, Row } from '../../adapters/index.js';
import { MoboError } from '../../runtime/index.js';

/**
 * Policies: how end users reach tables. A project's tables are private by default to the
 * roles without data grants of their own (`anon` for the public client key, `authenticated`
 * for every signed-up user, and custom roles); a policy opens one table (or pattern) to one
 * role for some operations, on all rows or only on the rows whose `ownerColumn` equals the
 * caller's subject (reads, updates and deletes filtered; inserts and updates get the column
 * forced to the subject). Several policies of a role that match a table add up: an operation
 * is allowed when any grants it; its rows are all rows if any of those is unrestricted, else
 * the rows any of them allows.
 */
export const policySchema = z
  .object({
    role: z.string().min(1).max(63),
    table: tablePatternSchema,
    operations: z.array(operationSchema).min(1),
    ownerColumn: z.string().min(1).max(200).optional(),
  })
  .strict();
export type Policy = z.infer<typeof policySchema>;
export type StoredPolicy = Policy & { created_at: string };

const keyOf = (project: string, role: string, table: string): string => `${project}/${role}/${table}`;

const describe = (row: Row): StoredPolicy => ({
  role: String(row.role),
  table: String(row.table_pattern),
  operations: JSON.parse(String(row.operations)) as Policy['operations'],
  ...(row.owner_column === null ? {} : { ownerColumn: String(row.owner_column) }),
  created_at: String(row.created_at),
});

/**
 * What the role's policies grant for one request, or undefined when none allows it.
 * Pure over an already-loaded list, so it costs no store hop per request.
 */
export function policyGrant(policies: readonly Policy[], principal: Principal, request: AccessRequest): AccessGrant | undefined {
  const columns = decision(policies, principal.role, request);
  if (columns === null) return undefined;
  if (columns.length === 0) return {};
  const filters: Filter[] = columns.map((column) => ({ op: 'eq', column, value: principal.subject }));
  const rowFilter: Filter = filters.length === 1 ? filters[0]! : { op: 'or', filters };
  const forcedValues = Object.fromEntries(columns.map((c) => [c, principal.subject]));
  if (request.operation === 'create') return { forcedValues };
  return request.operation === 'update' ? { rowFilter, forcedValues } : { rowFilter };
}

/**
 * Which policies of a role open an operation on a table, decided once per loaded list (the list
 * object is replaced whenever the project's policies change, so its decisions go with it):
 * null when none, [] when one opens every row, else the owner columns that limit the rows.
 */
type Decision = readonly string[] | null;
const DECISIONS = new WeakMap<readonly Policy[], Map<string, Decision>>();
const MAX_DECISIONS = 10_000;

function decision(policies: readonly Policy[], role: string, request: AccessRequest): Decision {
  let decided = DECISIONS.get(policies);
  if (!decided) DECISIONS.set(policies, (decided = new Map()));
  const key = `${role}\u0000${request.operation}\u0000${request.source}\u0000${request.table}`;
  let found = decided.get(key);
  if (found === undefined) {
    const matching = policies.filter((p) => p.role === role && p.operations.includes(request.operation) && tableMatches(p.table, request.source, request.table));
    found = matching.length === 0 ? null : matching.some((p) => p.ownerColumn === undefined) ? [] : [...new Set(matching.map((p) => p.ownerColumn!))];
    if (decided.size >= MAX_DECISIONS) decided.clear();
    decided.set(key, found);
  }
  return found;
}

/** A policy grant on top of the table's row rule grant: both filters apply, both sets of forced values. */
export function combineGrants(a: AccessGrant, b: AccessGrant): AccessGrant {
  const rowFilter = a.rowFilter && b.rowFilter ? { op: 'and' as const, filters: [a.rowFilter, b.rowFilter] } : (a.rowFilter ?? b.rowFilter);
  const forcedValues = a.forcedValues || b.forcedValues ? { ...a.forcedValues, ...b.forcedValues } : undefined;
  return { ...(rowFilter ? { rowFilter } : {}), ...(forcedValues ? { forcedValues } : {}) };
}

/** The project's policies, in the control store: one per (role, table pattern); setting it again replaces it. */
export class Policies {
  constructor(private readonly store: DataClient) {}

  async list(project: string): Promise<StoredPolicy[]> {
    const rows = await this.store.select({ table: POLICIES, where: where({ project }), order: [{ column: 'policy_key', direction: 'asc' }] });
    return rows.map(describe);
  }

  async set(project: string, policy: Policy, now: number): Promise<StoredPolicy> {
    const policy_key = keyOf(project, policy.role, policy.table);
    const row: Row = {
      policy_key,
      project,
      role: policy.role,
      table_pattern: policy.table,
      operations: JSON.stringify([...new Set(policy.operations)]),
      owner_column: policy.ownerColumn ?? null,
      created_at: iso(now),
    };
    await this.store.batch([
      { op: 'delete', table: POLICIES, where: where({ policy_key, project }) },
      { op: 'insert', table: POLICIES, rows: [row] },
    ]);
    return describe(row);
  }

  async remove(project: string, role: string, table: string): Promise<void> {
    const removed = await this.store.delete(POLICIES, where({ policy_key: keyOf(project, role, table), project }), true);
    if (removed.length === 0) throw new MoboError('AUTH_POLICY_NOT_FOUND', `No policy for role "${role}" on "${table}"`, { details: { project, role, table } });
  }
}
