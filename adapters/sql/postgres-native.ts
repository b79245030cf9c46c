/**
 * A Postgres table's definition as the catalogs hold it (format_type, pg_get_expr,
 * pg_get_constraintdef, pg_get_indexdef, the sequences its columns own), as statements that
 * recreate it: run with the dump's search_path (the source schema), the names come out
 * unqualified, so they are replayed in whatever schema the restore's search_path names.
 * Triggers are not carried (MagDS's change-feed trigger is installed again after a restore).
 */
import type { NativeTable } from '../types.js';
import type { SqlRunner } from './driver.js';
import { postgresDialect } from './dialects.js';

const q = postgresDialect.quote;

const COLUMNS = `
SELECT cl.relname AS t, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
       a.attidentity AS identity, a.attgenerated AS generated, pg_get_expr(d.adbin, d.adrelid) AS dflt,
       CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0 THEN
         (SELECT CASE WHEN cn.nspname = 'pg_catalog' THEN quote_ident(co.collname) ELSE quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END
          FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END AS collation
FROM pg_class cl
JOIN pg_namespace n ON n.oid = cl.relnamespace
JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = $1 AND cl.relkind IN ('r', 'p')
ORDER BY cl.relname, a.attnum`;

const CONSTRAINTS = `
SELECT cl.relname AS t, co.conname AS name, co.contype AS type, pg_get_constraintdef(co.oid) AS def
FROM pg_constraint co
JOIN pg_class cl ON cl.oid = co.conrelid
JOIN pg_namespace n ON n.oid = cl.relnamespace
WHERE n.nspname = $1 AND co.contype IN ('p', 'u', 'c', 'x', 'f') AND co.conislocal
ORDER BY cl.relname, CASE co.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'x' THEN 2 WHEN 'c' THEN 3 ELSE 4 END, co.conname`;

const INDEXES = `
SELECT cl.relname AS t, pg_get_indexdef(i.indexrelid) AS def, quote_ident(n.nspname) || '.' || quote_ident(cl.relname) AS qualified
FROM pg_index i
JOIN pg_class cl ON cl.oid = i.indrelid
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = cl.relnamespace
WHERE n.nspname = $1
  AND NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x'))
ORDER BY cl.relname, ic.relname`;

/** Sequences owned by a column: `a` (serial, OWNED BY) or `i` (identity). */
const SEQUENCES = `
SELECT cl.relname AS t, a.attname AS column, s.relname AS name, d.deptype AS dep, format_type(sq.seqtypid, NULL) AS type,
       sq.seqstart::text AS start, sq.seqincrement::text AS increment, sq.seqmin::text AS min, sq.seqmax::text AS max,
       sq.seqcache::text AS cache, sq.seqcycle AS cycle, pg_sequence_last_value(s.oid)::text AS last_value
FROM pg_depend d
JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
JOIN pg_sequence sq ON sq.seqrelid = s.oid
JOIN pg_class cl ON cl.oid = d.refobjid
JOIN pg_namespace n ON n.oid = cl.relnamespace
JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum = d.refobjsubid
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') AND n.nspname = $1
ORDER BY cl.relname, s.relname`;

type CatalogRow = Record<string, unknown>;

function byTable(rows: CatalogRow[]): Map<string, CatalogRow[]> {
  const map = new Map<string, CatalogRow[]>();
  for (const row of rows) {
    const t = String(row['t']);
    let list = map.get(t);
    if (!list) map.set(t, (list = []));
    list.push(row);
  }
  return map;
}

/** pg_get_indexdef always qualifies the table (`ON [ONLY] schema.table USING`): made relative like every other name. */
function relativeIndex(index: CatalogRow, ref: string): string {
  const def = String(index['def']);
  const at = def.indexOf(` ${String(index['qualified'])} USING `);
  return at < 0 ? def : `${def.slice(0, at)} ${ref}${def.slice(at + 1 + String(index['qualified']).length)}`;
}

function sequenceOptions(s: CatalogRow): string {
  return `START WITH ${s['start']} INCREMENT BY ${s['increment']} MINVALUE ${s['min']} MAXVALUE ${s['max']} CACHE ${s['cache']}${s['cycle'] ? ' CYCLE' : ' NO CYCLE'}`;
}

/** Native definitions of every table of `namespace`, read on `runner` (its search_path must be `namespace`). */
export async function describePostgres(runner: SqlRunner, namespace: string): Promise<Map<string, NativeTable>> {
  const read = async (sql: string) => byTable((await runner.run({ sql, params: [namespace] })).rows);
  const [columns, constraints, indexes, sequences] = [await read(COLUMNS), await read(CONSTRAINTS), await read(INDEXES), await read(SEQUENCES)];
  const natives = new Map<string, NativeTable>();
  for (const [table, cols] of columns) {
    const owned = sequences.get(table) ?? [];
    const identity = new Map(owned.filter((s) => s['dep'] === 'i').map((s) => [String(s['column']), s]));
    const serial = owned.filter((s) => s['dep'] === 'a');
    const ref = q(table);
    const definitions = cols.map((c) => {
      let def = `${q(String(c['name']))} ${c['type']}`;
      if (c['collation']) def += ` COLLATE ${c['collation']}`;
      const id = identity.get(String(c['name']));
      if (id) def += ` GENERATED ${c['identity'] === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY (SEQUENCE NAME ${q(String(id['name']))} ${sequenceOptions(id)})`;
      else if (c['generated'] === 's') def += ` GENERATED ALWAYS AS (${c['dflt']}) STORED`;
      else if (c['dflt'] !== null) def += ` DEFAULT ${c['dflt']}`;
      if (c['not_null']) def += ' NOT NULL';
      return def;
    });
    const addConstraint = (c: CatalogRow) => `ALTER TABLE ${ref} ADD CONSTRAINT ${q(String(c['name']))} ${c['def']}`;
    const own = constraints.get(table) ?? [];
    natives.set(table, {
      backend: 'postgres',
      create: [
        ...serial.map((s) => `CREATE SEQUENCE ${q(String(s['name']))} AS ${s['type']} ${sequenceOptions(s)}`),
        `CREATE TABLE ${ref} (${definitions.join(', ')})`,
        ...serial.map((s) => `ALTER SEQUENCE ${q(String(s['name']))} OWNED BY ${ref}.${q(String(s['column']))}`),
      ],
      after: [...own.filter((c) => c['type'] !== 'f').map(addConstraint), ...(indexes.get(table) ?? []).map((i) => relativeIndex(i, ref))],
      foreignKeys: own.filter((c) => c['type'] === 'f').map(addConstraint),
      sequences: owned.map((s) => ({ name: q(String(s['name'])), value: String(s['last_value'] ?? s['start']), called: s['last_value'] !== null })),
    });
  }
  return natives;
}
