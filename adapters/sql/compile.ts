/**
 * The one SQL compiler: the query AST (../query.ts) to a statement and its parameters for any
 * SqlDialect. Identifiers come only from the introspected TableInfo (a name it does not hold is
 * DS_COLUMN_NOT_FOUND) and are quoted; every value is a parameter; LIMIT/OFFSET are checked
 * whole numbers.
 */
import { requireColumn } from '../columns.js';
import type { Filter, SortKey } from '../query.js';
import type { Query, Row, TableInfo } from '../types.js';
import type { SqlDialect } from './dialect.js';
import { MoboError } from '../../runtime/index.js';

/** A table as compiled statements name it: its quoted reference and its introspected shape. */
export interface SqlTarget {
  ref: string;
  info: TableInfo;
}

export interface SqlStatement {
  sql: string;
  params: unknown[];
}

const COMPARISON = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

class Compilation {
  readonly params: unknown[] = [];
  constructor(
    readonly dialect: SqlDialect,
    readonly target: SqlTarget,
  ) {}

  column(name: string): string {
    return this.dialect.quote(requireColumn(this.target.info, name).name);
  }

  bind(column: string, value: unknown): string {
    this.params.push(this.dialect.encode(requireColumn(this.target.info, column), value));
    return this.dialect.placeholder(this.params.length);
  }

  bindRaw(value: unknown): string {
    this.params.push(value);
    return this.dialect.placeholder(this.params.length);
  }

  statement(sql: string): SqlStatement {
    return { sql, params: this.params };
  }
}

export function compileSelect(dialect: SqlDialect, target: SqlTarget, query: Query, forUpdate = false): SqlStatement {
  const c = new Compilation(dialect, target);
  const columns = query.columns?.length ? query.columns.map((name) => c.column(name)).join(', ') : '*';
  const sql =
    `SELECT ${columns} FROM ${target.ref}` +
    whereClause(c, query.where) +
    orderClause(c, query.order) +
    pageClause(dialect, query.limit, query.offset) +
    (forUpdate ? dialect.lockForUpdate : '');
  return c.statement(sql);
}

export function compileCount(dialect: SqlDialect, target: SqlTarget, where: Filter | undefined): SqlStatement {
  const c = new Compilation(dialect, target);
  return c.statement(`SELECT COUNT(*) AS n FROM ${target.ref}${whereClause(c, where)}`);
}

/** One INSERT for rows sharing the same columns (an empty list inserts one row of defaults). Hot path: plain loops. */
export function compileInsert(dialect: SqlDialect, target: SqlTarget, columns: readonly string[], rows: readonly Row[], returning: boolean): SqlStatement {
  const c = new Compilation(dialect, target);
  const tail = returning ? ' RETURNING *' : '';
  if (columns.length === 0) return c.statement(dialect.insertDefaults(target.ref) + tail);
  const infos = columns.map((name) => requireColumn(target.info, name));
  const tuples: string[] = new Array<string>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    let tuple = '(';
    for (let i = 0; i < infos.length; i++) {
      const column = infos[i]!;
      c.params.push(dialect.encode(column, row[column.name] ?? null));
      tuple += (i === 0 ? '' : ', ') + dialect.placeholder(c.params.length);
    }
    tuples[r] = `${tuple})`;
  }
  const names = infos.map((column) => dialect.quote(column.name)).join(', ');
  return c.statement(`INSERT INTO ${target.ref} (${names}) VALUES ${tuples.join(', ')}${tail}`);
}

/**
 * Rows sharing the same columns as one INSERT … SELECT FROM json_populate_recordset (dialects
 * with `jsonRecordsetInsert`): a single JSON parameter whatever the row count, each value read
 * by its column's input function (typmods checked as for a bound parameter). Canonical values
 * are JSON already, except bytes, sent as bytea's `\x…` hex input. No RETURNING.
 */
export function compileRecordsetInsert(dialect: SqlDialect, target: SqlTarget, columns: readonly string[], rows: readonly Row[]): SqlStatement {
  const infos = columns.map((name) => requireColumn(target.info, name));
  const bytes = infos.filter((column) => column.type === 'bytes').map((column) => column.name);
  const records = bytes.length === 0 ? rows : rows.map((row) => withHexBytes(row, bytes));
  const names = infos.map((column) => dialect.quote(column.name)).join(', ');
  return {
    sql: `INSERT INTO ${target.ref} (${names}) SELECT ${names} FROM json_populate_recordset(NULL::${target.ref}, ${dialect.placeholder(1)}::json)`,
    params: [JSON.stringify(records)],
  };
}

function withHexBytes(row: Row, columns: readonly string[]): Row {
  const copy = { ...row };
  for (const name of columns) {
    const value = copy[name];
    if (Buffer.isBuffer(value)) copy[name] = `\\x${value.toString('hex')}`;
  }
  return copy;
}

export function compileUpdate(dialect: SqlDialect, target: SqlTarget, patch: Row, where: Filter | undefined, returning: boolean): SqlStatement {
  const c = new Compilation(dialect, target);
  const sets = Object.entries(patch).map(([name, value]) => `${c.column(name)} = ${c.bind(name, value)}`);
  return c.statement(`UPDATE ${target.ref} SET ${sets.join(', ')}${whereClause(c, where)}${returning ? ' RETURNING *' : ''}`);
}

export function compileDelete(dialect: SqlDialect, target: SqlTarget, where: Filter | undefined, returning: boolean): SqlStatement {
  const c = new Compilation(dialect, target);
  return c.statement(`DELETE FROM ${target.ref}${whereClause(c, where)}${returning ? ' RETURNING *' : ''}`);
}

function whereClause(c: Compilation, where: Filter | undefined): string {
  return where === undefined ? '' : ` WHERE ${condition(c, where)}`;
}

function condition(c: Compilation, filter: Filter): string {
  switch (filter.op) {
    case 'and':
    case 'or': {
      if (filter.filters.length === 0) return filter.op === 'and' ? '1 = 1' : '1 = 0';
      return `(${filter.filters.map((f) => condition(c, f)).join(filter.op === 'and' ? ' AND ' : ' OR ')})`;
    }
    case 'not':
      return `NOT (${condition(c, filter.filter)})`;
    case 'is':
      return `${c.column(filter.column)} IS ${filter.value === null ? 'NULL' : filter.value ? 'TRUE' : 'FALSE'}`;
    case 'in':
      if (filter.values.length === 0) return '1 = 0';
      return `${c.column(filter.column)} IN (${filter.values.map((v) => c.bind(filter.column, v)).join(', ')})`;
    case 'like':
    case 'ilike': {
      const insensitive = filter.op === 'ilike';
      const param = c.bindRaw(c.dialect.likePattern(String(filter.value), insensitive));
      return c.dialect.like(c.column(filter.column), param, insensitive);
    }
    case 'eq':
    case 'neq':
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (filter.value === null && (filter.op === 'eq' || filter.op === 'neq')) {
        return `${c.column(filter.column)} ${filter.op === 'eq' ? 'IS NULL' : 'IS NOT NULL'}`;
      }
      return `${c.column(filter.column)} ${COMPARISON[filter.op]} ${c.bind(filter.column, filter.value)}`;
    default:
      throw new MoboError('DS_QUERY_INVALID', 'Unknown filter operator');
  }
}

function orderClause(c: Compilation, order: readonly SortKey[] | undefined): string {
  if (!order?.length) return '';
  const keys = order.map((key) => {
    const column = c.column(key.column);
    const direction = key.direction === 'desc' ? 'DESC' : 'ASC';
    const nulls = key.nulls ?? (key.direction === 'desc' ? 'first' : 'last');
    return c.dialect.nullsOrdering === 'native'
      ? `${column} ${direction} NULLS ${nulls === 'first' ? 'FIRST' : 'LAST'}`
      : `${column} IS NULL ${nulls === 'first' ? 'DESC' : 'ASC'}, ${column} ${direction}`;
  });
  return ` ORDER BY ${keys.join(', ')}`;
}

function pageClause(dialect: SqlDialect, limit: number | undefined, offset: number | undefined): string {
  const whole = (n: number): number => {
    if (!Number.isSafeInteger(n) || n < 0) throw new MoboError('DS_QUERY_INVALID', 'limit and offset must be whole numbers ≥ 0');
    return n;
  };
  let sql = '';
  if (limit !== undefined) sql += ` LIMIT ${whole(limit)}`;
  if (offset !== undefined && offset > 0) {
    if (limit === undefined && dialect.unlimited !== null) sql += ` LIMIT ${dialect.unlimited}`;
    sql += ` OFFSET ${whole(offset)}`;
  }
  return sql;
}
