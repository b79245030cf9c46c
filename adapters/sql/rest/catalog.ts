/**
 * What a PostgREST read needs to know of one Postgres schema: every relation (tables, views,
 * materialized views) with its columns and primary key, and the foreign keys between them
 * (the relationships embedding follows). Read in one statement, kept a few seconds.
 */
import type { SqlRunner } from '../driver.js';
import { fullBucket, spend, type Bucket, type BucketLimit } from '../../../tools/index.js';
import { viewForeignKeys, type Origins, type RawView } from './view-keys.js';

export interface Relation {
  name: string;
  columns: Map<string, string>;
  /** Each column's default as Postgres prints it (`missing=default` evaluates it per row). */
  defaults: Map<string, string>;
  primaryKey: string[];
}

export interface ForeignKey {
  name: string;
  /** A key carried through a view (view-keys.ts): which of its sides is the view. */
  view?: 'from' | 'to';
  from: string;
  fromColumns: string[];
  to: string;
  toColumns: string[];
}

/** A function of the schema, as `/rpc/<name>` calls it. */
export interface Routine {
  name: string;
  /** Input arguments in order (IN, INOUT, VARIADIC); the last `defaults` of them have defaults. */
  args: Array<{ name: string; type: string; variadic: boolean }>;
  defaults: number;
  /** `void`; one value or a set of them; one row or a set of rows (a table's row type, a composite, OUT or TABLE columns). */
  returns: 'void' | 'scalar' | 'composite' | 'record';
  set: boolean;
  /** The row's columns (composite and OUT/TABLE results). */
  columns: Array<[string, string]>;
  /** The table whose row type it returns, when one of this schema: its rows embed as that table's. */
  relation?: string;
  /** A single-argument function of one table's row: a computed column of that table. */
  computedOf?: string;
  volatility: 'i' | 's' | 'v';
}

export interface RestCatalog {
  schema: string;
  relations: Map<string, Relation>;
  foreignKeys: ForeignKey[];
  /** Functions by name (overloads side by side). */
  routines: Map<string, Routine[]>;
}

const FRESH_MS = 5_000;
/** Misses re-read a schema's catalogue a few at once, then about once a second (as the gateway's schema misses do). */
const MISS_RELOADS: BucketLimit = { rps: 1, burst: 4 };

const CATALOG = `
SELECT json_build_object(
  'relations', (SELECT COALESCE(json_agg(json_build_object(
      'name', c.relname,
      'oid', c.oid,
      'attnums', (SELECT json_agg(json_build_array(a.attnum, a.attname)) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
      'columns', (SELECT json_agg(json_build_array(a.attname, format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum)
                  FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
      'defaults', (SELECT json_agg(json_build_array(a.attname, CASE WHEN a.attidentity <> ''
                     THEN format('nextval(%L::regclass)', pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname))
                     ELSE pg_get_expr(d.adbin, d.adrelid) END))
                   FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND (d.adbin IS NOT NULL OR a.attidentity <> '')),
      'pk', (SELECT COALESCE(json_agg(a.attname ORDER BY k.ord), '[]'::json) FROM pg_index i
             CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
             WHERE i.indrelid = c.oid AND i.indisprimary))), '[]'::json)
    FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname NOT LIKE '\\_mobo%'),
  'fks', (SELECT COALESCE(json_agg(json_build_object(
      'name', con.conname, 'from', fc.relname, 'to', tc.relname,
      'fromColumns', (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
      'toColumns', (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum))), '[]'::json)
    FROM pg_constraint con JOIN pg_class fc ON fc.oid = con.conrelid JOIN pg_class tc ON tc.oid = con.confrelid
    WHERE con.contype = 'f' AND fc.relnamespace = n.oid AND tc.relnamespace = n.oid),
  'views', (SELECT COALESCE(json_agg(json_build_object('name', c.relname, 'rule', r.ev_action::text)), '[]'::json)
    FROM pg_class c JOIN pg_rewrite r ON r.ev_class = c.oid AND r.rulename = '_RETURN'
    WHERE c.relnamespace = n.oid AND c.relkind IN ('v', 'm')),
  'routines', (SELECT COALESCE(json_agg(json_build_object(
      'name', p.proname,
      'args', (SELECT COALESCE(json_agg(json_build_object('name', COALESCE(p.proargnames[k.i], ''), 'type', format_type(k.t, NULL), 'mode', COALESCE(p.proargmodes[k.i], 'i'),
                 'rel', (SELECT ac.relname FROM pg_type at JOIN pg_class ac ON ac.oid = at.typrelid WHERE at.oid = k.t AND ac.relnamespace = n.oid AND ac.relkind IN ('r', 'p', 'v', 'm', 'f'))) ORDER BY k.i), '[]'::json)
               FROM unnest(COALESCE(p.proallargtypes, p.proargtypes::oid[])) WITH ORDINALITY AS k(t, i)),
      'defaults', p.pronargdefaults,
      'set', p.proretset,
      'rettype', rt.typtype,
      'retname', format_type(p.prorettype, NULL),
      'relation', (SELECT rc.relname FROM pg_class rc WHERE rc.oid = rt.typrelid AND rc.relnamespace = n.oid AND rc.relkind IN ('r', 'p', 'v', 'm', 'f')),
      'columns', (SELECT json_agg(json_build_array(a.attname, format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum)
                  FROM pg_attribute a WHERE a.attrelid = rt.typrelid AND rt.typrelid <> 0 AND a.attnum > 0 AND NOT a.attisdropped),
      'volatility', p.provolatile)), '[]'::json)
    FROM pg_proc p JOIN pg_type rt ON rt.oid = p.prorettype
    WHERE p.pronamespace = n.oid AND p.prokind = 'f' AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype))
) AS catalog
FROM pg_namespace n WHERE n.nspname = $1`;

interface RawRoutine {
  name: string;
  args: Array<{ name: string; type: string; mode: string; rel: string | null }>;
  defaults: number;
  set: boolean;
  rettype: string;
  retname: string;
  relation: string | null;
  columns: Array<[string, string]> | null;
  volatility: 'i' | 's' | 'v';
}

interface Raw {
  relations: Array<{ name: string; oid: number; attnums: Array<[number, string]> | null; columns: Array<[string, string]>; defaults: Array<[string, string]> | null; pk: string[] }>;
  fks: ForeignKey[];
  views: RawView[];
  routines: RawRoutine[];
}

/** Tables of this schema by oid, and their columns by attribute number. */
function originsOf(raw: Raw): Origins {
  const byOid = new Map(raw.relations.map((r) => [Number(r.oid), r]));
  return {
    table: (oid) => byOid.get(oid)?.name,
    column: (table, attnum) => raw.relations.find((r) => r.name === table)?.attnums?.find(([n]) => n === attnum)?.[1],
  };
}

/** IN, INOUT and VARIADIC arguments are passed; OUT and TABLE ones are result columns. */
function routine(raw: RawRoutine): Routine {
  const inputs = raw.args.filter((a) => a.mode === 'i' || a.mode === 'b' || a.mode === 'v');
  const outputs = raw.args.filter((a) => a.mode === 'o' || a.mode === 'b' || a.mode === 't');
  const returns: Routine['returns'] =
    raw.retname === 'void' ? 'void' : outputs.length > 0 ? 'composite' : raw.rettype === 'c' ? 'composite' : raw.rettype === 'p' ? 'record' : 'scalar';
  const r: Routine = {
    name: raw.name,
    args: inputs.map((a) => ({ name: a.name, type: a.type, variadic: a.mode === 'v' })),
    defaults: raw.defaults,
    returns,
    set: raw.set,
    columns: outputs.length > 0 ? outputs.map((a) => [a.name, a.type]) : (raw.columns ?? []),
    volatility: raw.volatility,
  };
  if (raw.relation && outputs.length === 0) r.relation = raw.relation;
  if (inputs.length === 1 && inputs[0]!.rel && returns !== 'void') r.computedOf = inputs[0]!.rel;
  return r;
}

/** Catalogues by schema name, each re-read after FRESH_MS. */
export class RestCatalogs {
  private readonly entries = new Map<string, { at: number; catalog: Promise<RestCatalog | undefined> }>();
  private readonly misses = new Map<string, Bucket>();

  constructor(private readonly runner: () => SqlRunner) {}

  get(schema: string): Promise<RestCatalog | undefined> {
    const cached = this.entries.get(schema);
    if (cached && Date.now() - cached.at < FRESH_MS) return cached.catalog;
    const catalog = this.load(schema);
    this.entries.set(schema, { at: Date.now(), catalog });
    catalog.catch(() => this.entries.delete(schema));
    return catalog;
  }

  invalidate(): void {
    this.entries.clear();
  }

  /**
   * After a name the catalogue does not know: drops it for a re-read (a table made outside,
   * psql, a moment ago) unless the schema's misses spent their re-reads (MISS_RELOADS), so
   * unknown names cannot hammer the catalog. Whether it was dropped.
   */
  dropAfterMiss(schema: string): boolean {
    if (!this.entries.has(schema)) return false;
    const now = Date.now();
    const misses = this.misses.get(schema) ?? fullBucket(MISS_RELOADS, now);
    this.misses.set(schema, misses);
    if (!spend(misses, MISS_RELOADS, now)) return false;
    this.entries.delete(schema);
    return true;
  }

  private async load(schema: string): Promise<RestCatalog | undefined> {
    const { rows } = await this.runner().run({ sql: CATALOG, params: [schema] });
    if (rows.length === 0) return undefined;
    const raw = (typeof rows[0]!['catalog'] === 'string' ? JSON.parse(rows[0]!['catalog'] as string) : rows[0]!['catalog']) as Raw;
    return {
      schema,
      relations: new Map(raw.relations.map((r) => [r.name, { name: r.name, columns: new Map(r.columns ?? []), defaults: new Map(r.defaults ?? []), primaryKey: r.pk }])),
      foreignKeys: [...raw.fks, ...viewForeignKeys(raw.views, raw.fks, originsOf(raw))],
      routines: raw.routines.map(routine).reduce((byName, r) => byName.set(r.name, [...(byName.get(r.name) ?? []), r]), new Map<string, Routine[]>()),
    };
  }
}
