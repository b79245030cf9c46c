/**
 * What a PostgREST read needs to know of one Postgres schema: every relation (tables, views,
 * materialized views) with its columns and primary key, and the foreign keys between them
 * (the relationships embedding follows). Read in one statement, kept a few seconds.
 */
import type { SqlRunner } from '../driver.js';

export interface Relation {
  name: string;
  columns: Map<string, string>;
  primaryKey: string[];
}

export interface ForeignKey {
  name: string;
  from: string;
  fromColumns: string[];
  to: string;
  toColumns: string[];
}

export interface RestCatalog {
  schema: string;
  relations: Map<string, Relation>;
  foreignKeys: ForeignKey[];
}

const FRESH_MS = 5_000;

const CATALOG = `
SELECT json_build_object(
  'relations', (SELECT COALESCE(json_agg(json_build_object(
      'name', c.relname,
      'columns', (SELECT json_agg(json_build_array(a.attname, format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum)
                  FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
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
    WHERE con.contype = 'f' AND fc.relnamespace = n.oid AND tc.relnamespace = n.oid)
) AS catalog
FROM pg_namespace n WHERE n.nspname = $1`;

interface Raw {
  relations: Array<{ name: string; columns: Array<[string, string]>; pk: string[] }>;
  fks: ForeignKey[];
}

/** Catalogues by schema name, each re-read after FRESH_MS. */
export class RestCatalogs {
  private readonly entries = new Map<string, { at: number; catalog: Promise<RestCatalog | undefined> }>();

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

  private async load(schema: string): Promise<RestCatalog | undefined> {
    const { rows } = await this.runner().run({ sql: CATALOG, params: [schema] });
    if (rows.length === 0) return undefined;
    const raw = (typeof rows[0]!['catalog'] === 'string' ? JSON.parse(rows[0]!['catalog'] as string) : rows[0]!['catalog']) as Raw;
    return {
      schema,
      relations: new Map(raw.relations.map((r) => [r.name, { name: r.name, columns: new Map(r.columns ?? []), primaryKey: r.pk }])),
      foreignKeys: raw.fks,
    };
  }
}
