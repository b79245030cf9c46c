import { z } from 'zod';
import { resourceName } from '../ds/names.js';
import type { DataClient } from '../ds/protocol.js';
import type { AccessGrant, Operation, Principal } from './principal.js';
import { findOne, iso, where } from './records.js';
import { isPrivileged } from './roles.js';
import { ROW_RULES } from './tables.js';
import type { Row } from '../../adapters/index.js';
import { MoboError } from '../../runtime/index.js';

/**
 * A row rule: on this table, a principal sees and writes only rows whose `column`
 * equals its subject (`owner_id = token subject`). Reads, updates and deletes get the
 * rule ANDed in (AccessGrant.rowFilter); inserts and updates get the column forced to
 * the subject (AccessGrant.forcedValues), so nobody can write a row as someone else or
 * hand a row over.
 *
 * Who is exempt: service accounts, and API keys whose role is admin or owner (they are
 * the project's own back ends). `privilegedToo: true` applies the rule to them as well.
 * Users are always bound by the rule, whatever their role.
 */
export const rowRuleSchema = z.object({
  source: resourceName,
  table: z.string().min(1).max(200),
  column: z.string().min(1).max(200),
  equals: z.literal('subject').default('subject'),
  privilegedToo: z.boolean().default(false),
});
export type RowRule = z.infer<typeof rowRuleSchema>;

const describe = (row: Row): RowRule & { created_at: string } => ({
  source: String(row.source),
  table: String(row.table_name),
  column: String(row.column_name),
  equals: 'subject',
  privilegedToo: Number(row.privileged_too) === 1,
  created_at: String(row.created_at),
});

export function exempt(rule: RowRule, principal: Principal): boolean {
  if (rule.privilegedToo) return false;
  return principal.kind === 'service_account' || (principal.kind === 'api_key' && isPrivileged(principal.role));
}

export function grantFor(rule: RowRule | undefined, principal: Principal, operation: Operation): AccessGrant {
  if (!rule || exempt(rule, principal)) return {};
  if (operation === 'create') return { forcedValues: { [rule.column]: principal.subject } };
  const rowFilter = { op: 'eq' as const, column: rule.column, value: principal.subject };
  return operation === 'update' ? { rowFilter, forcedValues: { [rule.column]: principal.subject } } : { rowFilter };
}

export class RowRules {
  constructor(private readonly store: DataClient) {}

  async get(project: string, source: string, table: string): Promise<RowRule | undefined> {
    const row = await findOne(this.store, ROW_RULES, { rule_key: `${project}/${source}/${table}`, project });
    return row ? describe(row) : undefined;
  }

  /** One rule per table; setting it again replaces it. */
  async set(project: string, rule: RowRule, now: number): Promise<RowRule & { created_at: string }> {
    const rule_key = `${project}/${rule.source}/${rule.table}`;
    const row: Row = { rule_key, project, source: rule.source, table_name: rule.table, column_name: rule.column, equals: rule.equals, privileged_too: rule.privilegedToo ? 1 : 0, created_at: iso(now) };
    await this.store.batch([
      { op: 'delete', table: ROW_RULES, where: where({ rule_key, project }) },
      { op: 'insert', table: ROW_RULES, rows: [row] },
    ]);
    return describe(row);
  }

  async list(project: string): Promise<Array<RowRule & { created_at: string }>> {
    return (await this.store.select({ table: ROW_RULES, where: where({ project }), order: [{ column: 'rule_key', direction: 'asc' }] })).map(describe);
  }

  async delete(project: string, source: string, table: string): Promise<void> {
    const removed = await this.store.delete(ROW_RULES, where({ rule_key: `${project}/${source}/${table}`, project }), true);
    if (removed.length === 0) throw new MoboError('AUTH_RULE_NOT_FOUND', undefined, { details: { project, source, table } });
  }
}
