/**
 * How tables live in Redis (namespace `ns`, default "mobo", one per project):
 *
 *   ns:tables                 SET     names of the tables
 *   ns:table:<t>:schema       STRING  the TableInfo as JSON (columns, types, primary key)
 *   ns:table:<t>:pks          ZSET    every row's encoded key, score 0 (lexicographic order)
 *   ns:table:<t>:seq          STRING  the last generated integer key
 *   ns:table:<t>:row:<pk>     HASH    one field per non-null column, encoded by column type
 *
 * A field holds text as is, numbers in decimal, booleans as 1/0, timestamps as ISO-8601, json
 * as JSON text and bytes as base64. A one-column key is encoded like its field; a composite
 * key is the JSON array of its encoded fields. Table names are identifiers (no `:`).
 */
import type { ColumnInfo, Row, TableInfo } from './types.js';
import { decodeValue } from './values.js';

export class RedisKeys {
  constructor(private readonly namespace: string) {}
  tables(): string {
    return `${this.namespace}:tables`;
  }
  schema(table: string): string {
    return `${this.namespace}:table:${table}:schema`;
  }
  pks(table: string): string {
    return `${this.namespace}:table:${table}:pks`;
  }
  seq(table: string): string {
    return `${this.namespace}:table:${table}:seq`;
  }
  rowPrefix(table: string): string {
    return `${this.namespace}:table:${table}:row:`;
  }
  row(table: string, pk: string): string {
    return this.rowPrefix(table) + pk;
  }
}

export function encodeField(column: ColumnInfo, value: unknown): string {
  switch (column.type) {
    case 'boolean':
      return value ? '1' : '0';
    case 'json':
      return JSON.stringify(value);
    case 'bytes':
      return (value as Buffer).toString('base64');
    default:
      return String(value);
  }
}

export function decodeField(column: ColumnInfo, field: string): unknown {
  switch (column.type) {
    case 'integer':
    case 'float':
      return decodeValue(column.type, field, false);
    case 'boolean':
      return field === '1';
    case 'json':
      return JSON.parse(field) as unknown;
    case 'bytes':
      return Buffer.from(field, 'base64');
    default:
      return field;
  }
}

/** The key of a row (every key column must be non-null). */
export function encodeKey(table: TableInfo, row: Row): string {
  const parts = table.primaryKey.map((name) => encodeField(table.columns.find((c) => c.name === name)!, row[name]));
  return parts.length === 1 ? parts[0]! : JSON.stringify(parts);
}

/** A row's hash: fields for its non-null columns (HSET arguments, flattened). */
export function encodeHash(table: TableInfo, row: Row): string[] {
  const fields: string[] = [];
  for (const column of table.columns) {
    const value = row[column.name];
    if (value !== null && value !== undefined) fields.push(column.name, encodeField(column, value));
  }
  return fields;
}

/** A hash back to a row with every column (absent fields are null). */
export function decodeHash(table: TableInfo, hash: Record<string, string>): Row {
  const row: Row = {};
  for (const column of table.columns) {
    const field = hash[column.name];
    row[column.name] = field === undefined ? null : decodeField(column, field);
  }
  return row;
}

/**
 * Atomic multi-row insert. KEYS: pks zset, seq. ARGV: row key prefix, row count, then per row:
 * key, seq candidate ('' or an integer key given explicitly), field count, fields…
 * Returns nil, or the first key that already exists (and then writes nothing).
 */
export const INSERT_SCRIPT = `
local prefix, count = ARGV[1], tonumber(ARGV[2])
local seen, i = {}, 3
for _ = 1, count do
  local pk, nfields = ARGV[i], tonumber(ARGV[i + 2])
  if seen[pk] or redis.call('ZSCORE', KEYS[1], pk) then return pk end
  seen[pk] = true
  i = i + 3 + 2 * nfields
end
i = 3
local top = tonumber(redis.call('GET', KEYS[2]) or '0')
for _ = 1, count do
  local pk, candidate, nfields = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  redis.call('ZADD', KEYS[1], 0, pk)
  redis.call('HSET', prefix .. pk, unpack(ARGV, i + 3, i + 2 + 2 * nfields))
  if candidate ~= '' and tonumber(candidate) > top then top = tonumber(candidate) end
  i = i + 3 + 2 * nfields
end
redis.call('SET', KEYS[2], top)
return false
`;
