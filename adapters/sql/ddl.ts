/** CREATE/DROP TABLE from a portable TableInfo (names already checked by validate.ts). */
import type { TableInfo } from '../types.js';
import type { KeyRole, SqlDialect } from './dialect.js';

export function compileCreateTable(dialect: SqlDialect, ref: string, table: TableInfo): string {
  const generated = generatedKey(table);
  const columns = table.columns.map((column) => {
    const role: KeyRole = column.name === generated ? 'generated' : table.primaryKey.includes(column.name) ? 'key' : 'plain';
    const notNull = role !== 'plain' || !column.nullable ? ' NOT NULL' : '';
    return `${dialect.quote(column.name)} ${dialect.columnDefinition(column, role)}${notNull}`;
  });
  if (table.primaryKey.length > 0) columns.push(`PRIMARY KEY (${table.primaryKey.map((k) => dialect.quote(k)).join(', ')})`);
  return `CREATE TABLE ${ref} (${columns.join(', ')})${dialect.tableOptions}`;
}

export function compileDropTable(ref: string): string {
  return `DROP TABLE ${ref}`;
}

/**
 * The key column the backend generates: a one-column integer or uuid key that had a default
 * where it came from (serial/identity/auto-increment, or a uuid default).
 */
export function generatedKey(table: TableInfo): string | undefined {
  if (table.primaryKey.length !== 1) return undefined;
  const column = table.columns.find((c) => c.name === table.primaryKey[0]);
  return column && column.hasDefault && (column.type === 'integer' || column.type === 'uuid') ? column.name : undefined;
}
