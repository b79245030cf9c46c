/**
 * A table's columns, keys, foreign keys, indexes and checks, read from each backend's own
 * catalog on a runner. Portable types come from the introspected TableInfo.
 */
import type { DescribedTable, Row, TableInfo } from '../types.js';
import type { SqlRunner } from './driver.js';

type Described = Omit<DescribedTable, 'name' | 'columns' | 'primaryKey'> & { defaults: Map<string, { default: string | null; identity: boolean }> };

const PG_ACTIONS: Record<string, string> = { a: 'no action', r: 'restrict', c: 'cascade', n: 'set null', d: 'set default' };
const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

async function describePostgres(runner: SqlRunner, ref: string): Promise<Described> {
  const run = async (sql: string): Promise<Row[]> => (await runner.run({ sql, params: [ref] })).rows;
  const defaults = await run(
    `SELECT a.attname AS name, pg_get_expr(d.adbin, d.adrelid) AS def, a.attidentity <> '' AS identity
     FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
  );
  const attnames = (rel: string, keys: string) =>
    `(SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(${keys}) WITH ORDINALITY AS k(n, ord) JOIN pg_attribute a ON a.attrelid = ${rel} AND a.attnum = k.n)`;
  const fks = await run(
    `SELECT c.conname AS name, ${attnames('c.conrelid', 'c.conkey')} AS columns, ref.relname AS ref_table, ${attnames('c.confrelid', 'c.confkey')} AS ref_columns,
            c.confdeltype AS on_delete, c.confupdtype AS on_update
     FROM pg_constraint c JOIN pg_class ref ON ref.oid = c.confrelid WHERE c.conrelid = $1::regclass AND c.contype = 'f' ORDER BY c.conname`,
  );
  const indexes = await run(
    `SELECT ic.relname AS name, i.indisunique AS uniq, ${attnames('i.indrelid', 'i.indkey')} AS columns,
            EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid) AS is_constraint
     FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = $1::regclass AND NOT i.indisprimary ORDER BY ic.relname`,
  );
  const checks = await run(`SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'c' ORDER BY conname`);
  return {
    defaults: new Map(defaults.map((r) => [String(r.name), { default: text(r.def), identity: r.identity === true || /^nextval\(/.test(String(r.def ?? '')) }])),
    foreignKeys: fks.map((r) => ({
      name: String(r.name),
      columns: list(r.columns),
      references: { table: String(r.ref_table), columns: list(r.ref_columns) },
      onDelete: PG_ACTIONS[String(r.on_delete)] ?? 'no action',
      onUpdate: PG_ACTIONS[String(r.on_update)] ?? 'no action',
    })),
    indexes: indexes.map((r) => ({ name: String(r.name), columns: list(r.columns), unique: r.uniq === true, ...(r.is_constraint === true ? { constraint: true } : {}) })),
    checks: checks.map((r) => ({ name: String(r.name), expression: String(r.def).replace(/^CHECK \((.*)\)$/s, '$1') })),
  };
}

async function describeMysql(runner: SqlRunner, table: string): Promise<Described> {
  const run = async (sql: string): Promise<Row[]> => (await runner.run({ sql, params: [table] })).rows;
  const columns = await run(
    'SELECT COLUMN_NAME AS name, COLUMN_DEFAULT AS def, EXTRA AS extra FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
  );
  const fks = await run(
    `SELECT k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS col, k.REFERENCED_TABLE_NAME AS ref_table, k.REFERENCED_COLUMN_NAME AS ref_col, r.DELETE_RULE AS on_delete, r.UPDATE_RULE AS on_update
     FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r
       ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
     WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
  );
  const indexes = await run(
    "SELECT INDEX_NAME AS name, NON_UNIQUE AS non_unique, COLUMN_NAME AS col FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME <> 'PRIMARY' ORDER BY INDEX_NAME, SEQ_IN_INDEX",
  );
  const checks = await run(
    'SELECT CONSTRAINT_NAME AS name, CHECK_CLAUSE AS def FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY CONSTRAINT_NAME',
  );
  return {
    // MariaDB states "no default" as the text NULL.
    defaults: new Map(columns.map((r) => [String(r.name), { default: r.def === null || r.def === 'NULL' ? null : String(r.def), identity: /auto_increment/i.test(String(r.extra)) }])),
    foreignKeys: group(fks, (r) => String(r.name)).map((rows) => ({
      name: String(rows[0]!.name),
      columns: rows.map((r) => String(r.col)),
      references: { table: String(rows[0]!.ref_table), columns: rows.map((r) => String(r.ref_col)) },
      onDelete: String(rows[0]!.on_delete).toLowerCase(),
      onUpdate: String(rows[0]!.on_update).toLowerCase(),
    })),
    indexes: group(indexes, (r) => String(r.name)).map((rows) => ({ name: String(rows[0]!.name), columns: rows.map((r) => String(r.col)), unique: Number(rows[0]!.non_unique) === 0 })),
    checks: checks.map((r) => ({ name: String(r.name), expression: String(r.def) })),
  };
}

async function describeSqlite(runner: SqlRunner, table: string, info: TableInfo): Promise<Described> {
  const run = async (sql: string, params: unknown[] = [table]): Promise<Row[]> => (await runner.run({ sql, params })).rows;
  const columns = await run('SELECT name, dflt_value AS def FROM pragma_table_info(?)');
  const rowid = info.primaryKey.length === 1 && info.columns.find((c) => c.name === info.primaryKey[0])?.nativeType.toUpperCase() === 'INTEGER' ? info.primaryKey[0] : undefined;
  const fks = await run('SELECT id, "table" AS ref_table, "from" AS col, "to" AS ref_col, on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq');
  const indexes = await run("SELECT name, \"unique\" AS uniq, origin FROM pragma_index_list(?) WHERE origin <> 'pk' ORDER BY name");
  const [created] = await run("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?");
  const described: Described = {
    defaults: new Map(columns.map((r) => [String(r.name), { default: text(r.def), identity: r.name === rowid }])),
    foreignKeys: group(fks, (r) => String(r.id)).map((rows) => ({
      name: `${table}_fk_${String(rows[0]!.id)}`,
      columns: rows.map((r) => String(r.col)),
      references: { table: String(rows[0]!.ref_table), columns: rows.map((r) => String(r.ref_col)) },
      onDelete: String(rows[0]!.on_delete).toLowerCase(),
      onUpdate: String(rows[0]!.on_update).toLowerCase(),
    })),
    indexes: [],
    checks: checkClauses(String(created?.sql ?? '')).map((expression, i) => ({ name: `${table}_check_${i + 1}`, expression })),
  };
  for (const index of indexes) {
    const cols = await run('SELECT name FROM pragma_index_info(?) ORDER BY seqno', [index.name]);
    described.indexes.push({ name: String(index.name), columns: cols.map((c) => String(c.name)), unique: Number(index.uniq) === 1, ...(index.origin === 'u' ? { constraint: true } : {}) });
  }
  return described;
}

/** The CHECK (…) clauses of a CREATE TABLE statement, parentheses balanced, quotes respected. */
export function checkClauses(sql: string): string[] {
  const found: string[] = [];
  const re = /\bCHECK\s*\(/gi;
  for (let m = re.exec(sql); m; m = re.exec(sql)) {
    let depth = 1;
    let i = m.index + m[0].length;
    let quote: string | undefined;
    for (; i < sql.length && depth > 0; i++) {
      const c = sql[i]!;
      if (quote) quote = c === quote ? undefined : quote;
      else if (c === "'" || c === '"' || c === '`') quote = c;
      else if (c === '(') depth++;
      else if (c === ')') depth--;
    }
    found.push(sql.slice(m.index + m[0].length, i - 1).trim());
    re.lastIndex = i;
  }
  return found;
}

function group(rows: Row[], key: (row: Row) => string): Row[][] {
  const groups = new Map<string, Row[]>();
  for (const row of rows) groups.set(key(row), [...(groups.get(key(row)) ?? []), row]);
  return [...groups.values()];
}

export async function describeTable(dialect: 'postgres' | 'sqlite' | 'mysql', runner: SqlRunner, ref: string, info: TableInfo): Promise<DescribedTable> {
  const d = dialect === 'postgres' ? await describePostgres(runner, ref) : dialect === 'mysql' ? await describeMysql(runner, info.name) : await describeSqlite(runner, info.name, info);
  return {
    name: info.name,
    columns: info.columns.map((c) => ({ name: c.name, type: c.type, nativeType: c.nativeType, nullable: c.nullable, default: d.defaults.get(c.name)?.default ?? null, identity: d.defaults.get(c.name)?.identity ?? false })),
    primaryKey: info.primaryKey,
    foreignKeys: d.foreignKeys,
    indexes: d.indexes,
    checks: d.checks,
  };
}
