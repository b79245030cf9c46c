import type { ColumnInfo, TableInfo } from './types.js';
import { MoboError } from '../runtime/index.js';

const byTable = new WeakMap<TableInfo, Map<string, ColumnInfo>>();

function columnMap(table: TableInfo): Map<string, ColumnInfo> {
  let map = byTable.get(table);
  if (!map) {
    map = new Map(table.columns.map((c) => [c.name, c]));
    byTable.set(table, map);
  }
  return map;
}

export function findColumn(table: TableInfo, name: string): ColumnInfo | undefined {
  return columnMap(table).get(name);
}

export function requireColumn(table: TableInfo, name: string): ColumnInfo {
  const column = findColumn(table, name);
  if (!column) {
    throw new MoboError('DS_COLUMN_NOT_FOUND', `No column by that name in table ${table.name}`, {
      details: { table: table.name, column: clip(name) },
    });
  }
  return column;
}

export function tableNotFound(name: string): MoboError {
  return new MoboError('DS_TABLE_NOT_FOUND', undefined, { details: { table: clip(name) } });
}

/** User-supplied names echoed in details are clipped so an error never carries a payload. */
export function clip(name: string): string {
  return name.length > 128 ? `${name.slice(0, 128)}…` : name;
}

/** The primary-key columns of a row (or the whole row when the table has no key). */
export function primaryKeyOf(table: TableInfo, row: Record<string, unknown>): Record<string, unknown> {
  if (table.primaryKey.length === 0) return { ...row };
  return Object.fromEntries(table.primaryKey.map((k) => [k, row[k] ?? null]));
}
