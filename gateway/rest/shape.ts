import type { AccessGrant } from '../../actors/auth/principal.js';
import { invalid, type ParsedQuery } from './grammar.js';
import type { Filter, Query, Row, TableInfo } from '../../adapters/index.js';
import { MoboError } from '../../runtime/index.js';

/** ANDs filters together, leaving out the missing ones. */
export function allOf(...filters: Array<Filter | undefined>): Filter | undefined {
  const present = filters.filter((f): f is Filter => f !== undefined);
  if (present.length === 0) return undefined;
  return present.length === 1 ? present[0] : { op: 'and', filters: present };
}

/** Query-string values are text; booleans are the one type the adapters do not read from text. */
export function coerceFilter(table: TableInfo, filter: Filter): Filter {
  switch (filter.op) {
    case 'and':
    case 'or':
      return { ...filter, filters: filter.filters.map((f) => coerceFilter(table, f)) };
    case 'not':
      return { op: 'not', filter: coerceFilter(table, filter.filter) };
    case 'in':
      return { ...filter, values: filter.values.map((v) => coerceScalar(table, filter.column, v)) };
    case 'is':
      return filter;
    default:
      return { ...filter, value: coerceScalar(table, filter.column, filter.value) };
  }
}

function coerceScalar<T>(table: TableInfo, column: string, value: T): T | boolean {
  const type = table.columns.find((c) => c.name === column)?.type;
  if (type !== 'boolean' || typeof value !== 'string') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new MoboError('DS_VALUE_INVALID', `${column} takes true or false`, { details: { column } });
}

/** The select a list request runs: its filters, free-text search and the caller's row rule. */
export function listQuery(table: TableInfo, parsed: ParsedQuery, grant: AccessGrant): Query {
  const query: Query = { table: table.name };
  const where = allOf(...parsed.filters.map((f) => coerceFilter(table, f)), searchFilter(table, parsed.search), grant.rowFilter);
  if (where) query.where = where;
  if (parsed.columns) query.columns = parsed.columns;
  if (parsed.order) query.order = parsed.order;
  if (parsed.limit !== undefined) query.limit = parsed.limit;
  if (parsed.offset !== undefined) query.offset = parsed.offset;
  return query;
}

function searchFilter(table: TableInfo, search: string | undefined): Filter | undefined {
  if (search === undefined) return undefined;
  const text = table.columns.filter((c) => c.type === 'text');
  if (text.length === 0) throw invalid('q= searches text columns, and this table has none');
  return { op: 'or', filters: text.map((c) => ({ op: 'ilike' as const, column: c.name, value: `%${search}%` })) };
}

/** The filter that finds one row by the `:id` of the URL. */
export function byId(table: TableInfo, id: string): Filter {
  if (table.primaryKey.length !== 1) {
    throw invalid(`${table.name} has ${table.primaryKey.length === 0 ? 'no' : 'a composite'} primary key; select rows with filters instead`);
  }
  return coerceFilter(table, { op: 'eq', column: table.primaryKey[0]!, value: id });
}

/** A JSON body as rows: an object, or an array of objects for bulk create. */
export function bodyRows(body: unknown, allowMany: boolean): Row[] {
  const rows = Array.isArray(body) && allowMany ? body : [body];
  if (rows.length === 0) throw invalid('The body holds no rows');
  if (rows.length > 1_000) throw invalid('At most 1000 rows per request');
  for (const row of rows) {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw invalid(allowMany ? 'The body must be an object or an array of objects' : 'The body must be an object');
    }
  }
  return rows as Row[];
}

export function withForced(row: Row, grant: AccessGrant): Row {
  return grant.forcedValues ? { ...row, ...grant.forcedValues } : row;
}
