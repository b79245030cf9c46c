/** DDL from portable definitions: CREATE/DROP TABLE from a TableInfo, and the schema API's pieces. */
import { MoboError } from '../../runtime/index.js';
import type { ColumnSpec, ForeignKeySpec, TableInfo, TableSpec } from '../types.js';
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

const ACTIONS = new Set(['cascade', 'restrict', 'set null', 'set default', 'no action']);

/** A column default as SQL: a JSON value as a literal of this dialect, or the operator's expression. */
export function defaultSql(dialect: SqlDialect, value: NonNullable<ColumnSpec['default']> | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'object') return `(${value.sql})`;
  if (typeof value === 'boolean') return dialect.name === 'postgres' ? (value ? 'TRUE' : 'FALSE') : value ? '1' : '0';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new MoboError('DS_VALUE_INVALID', 'A default must be a finite number', { details: { default: String(value) } });
    return String(value);
  }
  const escaped = value.split("'").join("''");
  return `'${dialect.name === 'mysql' ? escaped.split('\\').join('\\\\') : escaped}'`;
}

/** The portable column as this dialect types it (a text key is VARCHAR(255) on MySQL). */
export function columnType(dialect: SqlDialect, column: Pick<ColumnSpec, 'type' | 'identity'>, keyed: boolean): string {
  const info = { name: '', type: column.type, nativeType: column.type, nullable: true, hasDefault: false };
  return dialect.columnDefinition(info, column.identity ? 'generated' : keyed ? 'key' : 'plain');
}

/** One column of CREATE TABLE / ADD COLUMN: type, identity, NOT NULL, DEFAULT, UNIQUE, CHECK. */
export function columnSql(dialect: SqlDialect, column: ColumnSpec, keyed: boolean): string {
  const parts = [dialect.quote(column.name), columnType(dialect, column, keyed || column.unique === true)];
  if (keyed || column.identity || column.nullable === false) parts.push('NOT NULL');
  if (column.default !== undefined) parts.push(`DEFAULT ${defaultSql(dialect, column.default)}`);
  if (column.unique) parts.push('UNIQUE');
  if (column.check) parts.push(`CHECK (${column.check})`);
  return parts.join(' ');
}

export function foreignKeySql(dialect: SqlDialect, refOf: (table: string) => string, fk: ForeignKeySpec): string {
  const cols = (names: string[]) => names.map((n) => dialect.quote(n)).join(', ');
  let sql = `${fk.name ? `CONSTRAINT ${dialect.quote(fk.name)} ` : ''}FOREIGN KEY (${cols(fk.columns)}) REFERENCES ${refOf(fk.references.table)} (${cols(fk.references.columns)})`;
  for (const [word, action] of [['DELETE', fk.onDelete], ['UPDATE', fk.onUpdate]] as const) {
    if (action === undefined) continue;
    if (!ACTIONS.has(action)) throw new MoboError('DS_QUERY_INVALID', `Unknown referential action "${action}"`, { details: { action, allowed: [...ACTIONS] } });
    sql += ` ON ${word} ${action.toUpperCase()}`;
  }
  return sql;
}

/** CREATE TABLE from the schema API's definition (names checked by the planner). */
export function compileTableSpec(dialect: SqlDialect, refOf: (table: string) => string, spec: TableSpec): string {
  const key = spec.primaryKey ?? spec.columns.filter((c) => c.primaryKey || c.identity).map((c) => c.name);
  const parts = spec.columns.map((c) => columnSql(dialect, c, key.includes(c.name)));
  if (key.length > 0) parts.push(`PRIMARY KEY (${key.map((k) => dialect.quote(k)).join(', ')})`);
  for (const fk of spec.foreignKeys ?? []) parts.push(foreignKeySql(dialect, refOf, fk));
  return `CREATE TABLE ${refOf(spec.name)} (${parts.join(', ')})${dialect.tableOptions}`;
}
