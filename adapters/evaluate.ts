/**
 * The query AST evaluated in memory, with SQL's semantics: comparisons with null are unknown,
 * `not` of unknown is unknown, and/or are Kleene's, and a row matches only when the filter is
 * true. `eq`/`neq` with a null value mean IS NULL / IS NOT NULL (as the SQL compiler does).
 * Ordering defaults to Postgres': nulls last ascending, first descending. Used by adapters that
 * filter in the process (Redis) and by realtime to filter change events.
 */
import { likeToRegExp } from './pattern.js';
import type { Filter, Query, Scalar, SortKey } from './query.js';
import type { Row } from './types.js';

type Truth = boolean | null;

export function matchesFilter(filter: Filter | undefined, row: Row): boolean {
  return filter === undefined || evaluate(filter, row) === true;
}

/** Filter, sort, page and project rows as `query` asks (the table is the caller's concern). */
export function applyQuery(rows: readonly Row[], query: Omit<Query, 'table'>): Row[] {
  let result = rows.filter((row) => matchesFilter(query.where, row));
  if (query.order?.length) result.sort(rowComparator(query.order));
  const start = query.offset ?? 0;
  result = result.slice(start, query.limit === undefined ? undefined : start + query.limit);
  const columns = query.columns;
  return columns?.length ? result.map((row) => Object.fromEntries(columns.map((c) => [c, row[c] ?? null]))) : result;
}

function evaluate(filter: Filter, row: Row): Truth {
  switch (filter.op) {
    case 'and':
      return combine(filter.filters, row, false);
    case 'or':
      return combine(filter.filters, row, true);
    case 'not': {
      const inner = evaluate(filter.filter, row);
      return inner === null ? null : !inner;
    }
    case 'is':
      return filter.value === null ? cell(row, filter.column) === null : cell(row, filter.column) === filter.value;
    case 'in': {
      const value = cell(row, filter.column);
      return value === null ? null : filter.values.some((v) => compareValues(value, v) === 0);
    }
    default: {
      const value = cell(row, filter.column);
      if (filter.value === null && (filter.op === 'eq' || filter.op === 'neq')) {
        return filter.op === 'eq' ? value === null : value !== null;
      }
      if (value === null) return null;
      return compareOp(filter.op, value, filter.value);
    }
  }
}

/** and (decisive = false) / or (decisive = true) in three-valued logic. */
function combine(filters: readonly Filter[], row: Row, decisive: boolean): Truth {
  let result: Truth = !decisive;
  for (const f of filters) {
    const value = evaluate(f, row);
    if (value === decisive) return decisive;
    if (value === null) result = null;
  }
  return result;
}

function compareOp(op: 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'like' | 'ilike', value: unknown, operand: Scalar): boolean {
  switch (op) {
    case 'like':
    case 'ilike':
      return typeof value === 'string' && likeToRegExp(String(operand), op === 'ilike').test(value);
    case 'eq':
      return compareValues(value, operand) === 0;
    case 'neq':
      return compareValues(value, operand) !== 0;
    case 'gt':
      return compareValues(value, operand) > 0;
    case 'gte':
      return compareValues(value, operand) >= 0;
    case 'lt':
      return compareValues(value, operand) < 0;
    case 'lte':
      return compareValues(value, operand) <= 0;
  }
}

function cell(row: Row, column: string): unknown {
  return row[column] ?? null;
}

/** Total order over canonical values of one column type (mixed types compare by type name). */
export function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
  if (typeof a !== typeof b) return typeof a < typeof b ? -1 : 1;
  const sa = JSON.stringify(a);
  const sb = JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

export function rowComparator(order: readonly SortKey[]): (a: Row, b: Row) => number {
  return (a, b) => {
    for (const key of order) {
      const x = cell(a, key.column);
      const y = cell(b, key.column);
      const nullsFirst = (key.nulls ?? (key.direction === 'asc' ? 'last' : 'first')) === 'first';
      let c: number;
      if (x === null || y === null) {
        if (x === y) continue;
        c = (x === null) === nullsFirst ? -1 : 1;
      } else {
        c = compareValues(x, y) * (key.direction === 'desc' ? -1 : 1);
      }
      if (c !== 0) return c;
    }
    return 0;
  };
}
