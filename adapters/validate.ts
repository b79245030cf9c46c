import { requireColumn } from './columns.js';
import { normalizeLike } from './pattern.js';
import type { Filter, Query, Scalar } from './query.js';
import type { ColumnInfo, Row, TableInfo } from './types.js';
import { normalizeValue } from './values.js';
import { MoboError } from '../runtime/index.js';

const MAX_FILTER_DEPTH = 32;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function prepareQuery(table: TableInfo, query: Query): Query {
  const prepared: Query = { table: table.name };
  if (query.columns?.length) prepared.columns = query.columns.map((c) => requireColumn(table, c).name);
  if (query.where) prepared.where = prepareFilter(table, query.where);
  if (query.order?.length) {
    prepared.order = query.order.map((key) => {
      if (key.direction !== 'asc' && key.direction !== 'desc') throw invalidQuery('Sort direction must be asc or desc');
      if (key.nulls !== undefined && key.nulls !== 'first' && key.nulls !== 'last') throw invalidQuery('nulls must be first or last');
      return { ...key, column: requireColumn(table, key.column).name };
    });
  }
  if (query.limit !== undefined) prepared.limit = count(query.limit, 'limit');
  if (query.offset !== undefined) prepared.offset = count(query.offset, 'offset');
  return prepared;
}

export function prepareWhere(table: TableInfo, where: Filter | undefined): Filter | undefined {
  return where === undefined ? undefined : prepareFilter(table, where);
}

export function prepareFilter(table: TableInfo, filter: Filter, depth = 0): Filter {
  if (depth > MAX_FILTER_DEPTH) throw invalidQuery(`Filters nest at most ${MAX_FILTER_DEPTH} deep`);
  if (filter === null || typeof filter !== 'object') throw invalidQuery('A filter must be an object');
  switch (filter.op) {
    case 'and':
    case 'or':
      if (!Array.isArray(filter.filters)) throw invalidQuery(`${filter.op} needs a list of filters`);
      return { op: filter.op, filters: filter.filters.map((f) => prepareFilter(table, f, depth + 1)) };
    case 'not':
      return { op: 'not', filter: prepareFilter(table, filter.filter, depth + 1) };
    case 'in': {
      const column = requireColumn(table, filter.column);
      if (!Array.isArray(filter.values)) throw invalidQuery('in needs a list of values');
      if (filter.values.some((v) => v === null)) throw invalidQuery('in cannot match null; use is null');
      return { op: 'in', column: column.name, values: filter.values.map((v) => scalarFor(column, v)) };
    }
    case 'is': {
      const column = requireColumn(table, filter.column);
      if (filter.value !== null && (typeof filter.value !== 'boolean' || column.type !== 'boolean')) {
        throw invalidQuery('is true/false needs a boolean column', column);
      }
      return { op: 'is', column: column.name, value: filter.value };
    }
    case 'like':
    case 'ilike': {
      const column = requireColumn(table, filter.column);
      if (column.type !== 'text') throw invalidQuery(`${filter.op} needs a text column`, column);
      if (typeof filter.value !== 'string') throw invalidQuery(`${filter.op} needs a string pattern`, column);
      return { op: filter.op, column: column.name, value: normalizeLike(filter.value) };
    }
    case 'eq':
    case 'neq':
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const column = requireColumn(table, filter.column);
      if (filter.value === null && filter.op !== 'eq' && filter.op !== 'neq') {
        throw invalidQuery(`${filter.op} cannot compare with null`, column);
      }
      return { op: filter.op, column: column.name, value: scalarFor(column, filter.value) };
    }
    default:
      throw invalidQuery('Unknown filter operator');
  }
}

/** Rows for insert: known columns only, canonical values, explicit nulls only where allowed. */
export function prepareRows(table: TableInfo, rows: readonly Row[]): Row[] {
  if (!Array.isArray(rows)) throw invalidQuery('insert needs a list of rows');
  return rows.map((row) => prepareRow(table, row));
}

export function preparePatch(table: TableInfo, patch: Row): Row {
  const prepared = prepareRow(table, patch);
  if (Object.keys(prepared).length === 0) throw invalidQuery('An update needs at least one column');
  return prepared;
}

function prepareRow(table: TableInfo, row: Row): Row {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) throw invalidQuery('A row must be an object');
  const prepared: Row = {};
  for (const name in row) {
    if (!Object.hasOwn(row, name)) continue;
    const value = row[name];
    if (value === undefined) continue;
    const column = requireColumn(table, name);
    if (value === null && !column.nullable) {
      throw new MoboError('DS_CONSTRAINT', `Column ${column.name} cannot be null`, { details: { column: column.name } });
    }
    prepared[column.name] = normalizeValue(column, value);
  }
  return prepared;
}

/** A definition for createTable: names safe to create, a key made of its own columns. */
export function checkTableDefinition(table: TableInfo): void {
  checkNewIdentifier(table.name);
  if (table.columns.length === 0) throw invalidQuery('A table needs at least one column');
  const names = new Set<string>();
  for (const column of table.columns) {
    checkNewIdentifier(column.name);
    if (names.has(column.name)) throw invalidQuery('Column names must be unique', column);
    names.add(column.name);
  }
  for (const key of table.primaryKey) if (!names.has(key)) throw invalidQuery('The primary key names a missing column');
}

export function checkNewIdentifier(name: string): void {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw invalidQuery('Names are 1-63 letters, digits and _ and do not start with a digit');
  }
}

function scalarFor(column: ColumnInfo, value: Scalar): Scalar {
  const normalized = normalizeValue(column, value);
  if (normalized !== null && typeof normalized === 'object') throw invalidQuery('Filters compare scalar values', column);
  return normalized as Scalar;
}

function count(n: unknown, what: string): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw invalidQuery(`${what} must be a whole number ≥ 0`);
  return n;
}

function invalidQuery(message: string, column?: ColumnInfo): MoboError {
  return new MoboError('DS_QUERY_INVALID', message, column ? { details: { column: column.name } } : undefined);
}
