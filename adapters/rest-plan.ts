/**
 * A PostgREST read as data (MagGate's /rest/v1 grammar, gateway/rest/pgrst-grammar.ts): the
 * select tree with its embedded resources, filters with PostgREST's whole operator set, per
 * resource order and paging, and the caller's row rule for every table it may touch. An adapter
 * that can (Postgres) compiles it into ONE statement (adapters/sql/rest/); SQLite and MySQL
 * compile embeds and upserts (adapters/sql/rest-embed.ts, rest-upsert.ts); the others refuse it.
 * Like query.ts it carries no SQL: names are checked against the catalogue, values are bound.
 */
import type { Filter } from './query.js';

/** A column reference: `col`, `col->a->>b` (JSON path), each step a key or an array index. */
export interface ColumnRef {
  column: string;
  path?: Array<{ arrow: '->' | '->>'; key: string }>;
}

export type RestOp =
  | 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'like' | 'ilike' | 'match' | 'imatch'
  | 'in' | 'is' | 'isdistinct' | 'cs' | 'cd' | 'ov' | 'sl' | 'sr' | 'nxl' | 'nxr' | 'adj'
  | 'fts' | 'plfts' | 'phfts' | 'wfts';

export type RestFilter =
  | { kind: 'op'; ref: ColumnRef; op: RestOp; negate: boolean; value: string; values?: string[]; quantifier?: 'all' | 'any'; language?: string }
  | { kind: 'logic'; logic: 'and' | 'or'; negate: boolean; filters: RestFilter[] };

export interface RestOrder {
  ref: ColumnRef;
  /** Ordering by a to-one embedded resource's column: `order=author(name).desc`. */
  embed?: string;
  direction: 'asc' | 'desc';
  nulls?: 'first' | 'last';
}

export type SelectItem =
  | { kind: 'star' }
  | { kind: 'column'; ref: ColumnRef; alias?: string; cast?: string; aggregate?: Aggregate }
  | { kind: 'count'; alias?: string }
  | { kind: 'embed'; name: string; alias?: string; hint?: string; join?: 'inner' | 'left'; spread: boolean; node: RestNode };

export type Aggregate = 'count' | 'sum' | 'avg' | 'max' | 'min';

/** One resource of the tree (the top table or an embedded one). */
export interface RestNode {
  select: SelectItem[];
  where: RestFilter[];
  order?: RestOrder[];
  limit?: number;
  offset?: number;
}

export interface RestRead {
  /** The schema (Accept-Profile); the source's namespace when absent. */
  schema?: string;
  table: string;
  root: RestNode;
  count?: 'exact' | 'planned' | 'estimated';
  /** Each table's row rule for the caller; a table the tree reaches that is missing here is refused. */
  rules: Record<string, Filter | null>;
  /** Rows are not wanted (HEAD): only the counts. */
  headOnly?: boolean;
  /** The body as PostgREST's text/csv, or a GeoJSON FeatureCollection (PostGIS's ST_AsGeoJSON of each row); JSON when absent. */
  format?: 'csv' | 'geojson';
  /** The statement's plan instead of its rows (Accept: application/vnd.pgrst.plan+json|text; options=analyze|verbose|…). */
  explain?: { format: 'json' | 'text'; options: Array<'analyze' | 'verbose' | 'settings' | 'buffers' | 'wal'> };
}

export interface RestReadResult {
  /** The rows as a JSON array text. */
  body: string;
  /** How many rows the body holds. */
  returned: number;
  total?: number;
}

export interface RestWrite {
  schema?: string;
  table: string;
  kind: 'insert' | 'update' | 'delete';
  /** insert: the rows (columns: the union of their keys, or `columns`); update: one patch. */
  rows?: Array<Record<string, unknown>>;
  columns?: string[];
  /** Prefer: missing=default: a key a row leaves out takes the column's default, not NULL. */
  missingDefault?: boolean;
  /** Upsert: the conflict target (default: the primary key) and what a conflict does. */
  onConflict?: { columns?: string[]; resolution: 'merge' | 'ignore' };
  /** update/delete: the filters of the root node; insert: the select tree over the rows written. */
  root: RestNode;
  rules: Record<string, Filter | null>;
  /** Whether the written rows are wanted back (return=representation). */
  returning: boolean;
  count?: 'exact' | 'planned' | 'estimated';
  /** Prefer: tx=rollback: everything is undone after the answer is computed. */
  rollback?: boolean;
  /** max-affected with handling=strict: more rows than this fails with PGRST124 and changes nothing. */
  maxAffected?: number;
  /** Accept: vnd.pgrst.object: anything but exactly one row is PGRST116 (406) and changes nothing. */
  single?: boolean;
}

export interface RestWriteResult extends RestReadResult {
  affected: number;
  /** Upserts: how many of the affected rows were inserted (the others were updated). */
  inserted?: number;
}

/**
 * `/rpc/<fn>`: a function called by its named arguments, with the select tree, filters, order
 * and paging over the rows a set-returning one gives. It runs in a transaction of its own, read
 * only when `readOnly` (GET and HEAD, and callers who may not write): the function's body runs
 * with the source's rights, so MagGate calls it only for callers no row rule narrows.
 */
export interface RestCall {
  schema?: string;
  fn: string;
  /** Arguments by name: the POST body's JSON values, or texts for the argument types' input (GET). */
  args: Record<string, unknown>;
  /** A POST body that is not an object, for a function of one unnamed json or jsonb argument. */
  body?: unknown;
  /**
   * GET and HEAD: the query string's plain keys, each an argument when the function has one of
   * that name, else a filter on its rows (`filter` absent: the value did not parse as one).
   */
  candidates?: Array<{ name: string; value: string; filter?: RestFilter }>;
  root: RestNode;
  rules: Record<string, Filter | null>;
  count?: 'exact' | 'planned' | 'estimated';
  readOnly: boolean;
  rollback?: boolean;
  /** More rows than this fails with PGRST124 and undoes the call. */
  maxAffected?: number;
}

export interface RestCallResult extends RestReadResult {
  /** What the function gives: nothing, one value, one row (an object or null), or a set (an array). */
  returns: 'void' | 'scalar' | 'object' | 'set';
}

/** The relationship names a select tree mentions (embed names and hints), for authorising them first. */
export function embeddedNames(node: RestNode, into: Set<string> = new Set()): Set<string> {
  for (const item of node.select) {
    if (item.kind !== 'embed') continue;
    into.add(item.name);
    if (item.hint) into.add(item.hint);
    embeddedNames(item.node, into);
  }
  return into;
}
