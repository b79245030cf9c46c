/**
 * One resource of the select tree as a subquery building each row as json, its keys in the
 * table's column order as PostgREST writes them (json, not jsonb: no key sorting, and cheaper
 * to build and print; jsonb only where Postgres must compare values): every embedded
 * resource a LEFT JOIN LATERAL under its parent (to-one: an object or null; to-many: an array,
 * filtered, ordered and paged inside; spread: its keys merged into the parent's row), `!inner`
 * a condition on the lateral's value, the table's row rule ANDed in.
 */
import type { RestNode, RestOrder, SelectItem } from '../../rest-plan.js';
import type { Relation } from './catalog.js';
import { Builder, CAST, column, condition, keyOf, literal, quote, ruleCondition } from './builder.js';
import { badRequest, restFault } from './errors.js';
import { resolveRelationship, type Relationship } from './relationships.js';

interface Compiled {
  /** The subquery's SQL: one column `v` (the row as json), or the row's own columns (`columns`). */
  sql: string;
  alias: string;
}

export interface Link {
  /** Join conditions to the parent; `$$ALIAS$$` stands for this resource's alias. */
  where: string[];
  /** A junction joined in (many-to-many). */
  from?: string;
  /** Rows from a CTE (a write's or a call's) instead of the table: no row rule is added. */
  source?: string;
  /** How deep below the top resource (PostgREST names an embedded table `<name>_<depth>` in errors). */
  depth?: number;
}

interface Embedded {
  alias: string;
  relation: Relation;
  single: boolean;
}

const STAR: SelectItem = { kind: 'star' };

/** A column item's key in the row: its alias, the aggregate's name, or the column (the last JSON path step). */
function itemKey(item: Extract<SelectItem, { kind: 'column' }>): string {
  return item.alias ?? (item.aggregate && !item.ref.path ? item.aggregate : keyOf(item.ref));
}

/** Where an embed goes: the related rows resolved and whether they are one row at most. */
function related(b: Builder, relation: Relation, item: Extract<SelectItem, { kind: 'embed' }>): { rel: Relationship; target: Relation; single: boolean } {
  const rel = resolveRelationship(b.catalog, relation.name, item.name, item.hint);
  const target = b.relation(rel.target);
  const single = rel.kind === 'to-one' || (rel.kind === 'to-many' && sameColumns(rel.fk.fromColumns, target.primaryKey));
  return { rel, target, single };
}

/** The keys a resource's rows have, known before it runs (a spread merges them into its parent's). */
function outputKeys(b: Builder, relation: Relation, node: RestNode): string[] {
  const keys: string[] = [];
  for (const item of node.select.length === 0 ? [STAR] : node.select) {
    if (item.kind === 'star') keys.push(...relation.columns.keys());
    else if (item.kind === 'column') keys.push(itemKey(item));
    else if (item.kind === 'count') keys.push(item.alias ?? 'count');
    else if (item.node.select.length > 0) keys.push(...(item.spread ? outputKeys(b, related(b, relation, item).target, item.node) : [item.alias ?? item.name]));
  }
  return keys;
}

/** json_build_object over key/value pairs; past 50 (its limit is 100 arguments) jsonb pieces joined. */
function objectOf(pairs: string[]): string {
  if (pairs.length === 0) return "'{}'::json";
  if (pairs.length <= 50) return `json_build_object(${pairs.join(', ')})`;
  const pieces: string[] = [];
  for (let i = 0; i < pairs.length; i += 50) pieces.push(`jsonb_build_object(${pairs.slice(i, i + 50).join(', ')})`);
  return `(${pieces.join(' || ')})::json`;
}

/**
 * One resource: `SELECT <row json> AS v FROM <table> <alias> <laterals> WHERE … GROUP BY …
 * ORDER … LIMIT …`; with `columns`, the row's values as columns of their own (CSV, GeoJSON).
 */
export function resource(b: Builder, relation: Relation, node: RestNode, link: Link, paged = true, columns = false): Compiled {
  const depth = link.depth ?? 0;
  const alias = b.alias(depth === 0 ? relation.name : `${relation.name}_${depth}`);
  const laterals: string[] = [];
  const where: string[] = [...link.where.map((w) => w.replaceAll('$$ALIAS$$', alias))];
  const pairs: string[] = [];
  const cols: string[] = [];
  const groups: string[] = [];
  const embeds = new Map<string, Embedded>();
  // json has no equality: an aggregated resource groups by (and shows) its embeds' values as jsonb.
  const aggregated = node.select.some((i) => i.kind === 'count' || (i.kind === 'column' && i.aggregate !== undefined));
  const put = (key: string, sql: string) => (columns ? cols.push(`${sql} AS ${quote(key)}`) : pairs.push(`${literal(key)}, ${sql}`));
  for (const item of node.select.length === 0 ? [STAR] : node.select) {
    switch (item.kind) {
      case 'star':
        if (columns) cols.push(`${alias}.*`);
        else for (const name of relation.columns.keys()) pairs.push(`${literal(name)}, ${alias}.${quote(name)}`);
        break;
      case 'column': {
        let sql = column(relation, alias, item.ref, b);
        if (item.aggregate) sql = `${item.aggregate}(${sql})`;
        else groups.push(sql);
        if (item.cast) {
          if (!CAST.test(item.cast)) throw badRequest(`"${item.cast}" is not a type name`);
          sql = `CAST(${sql} AS ${item.cast})`;
        }
        put(itemKey(item), sql);
        break;
      }
      case 'count':
        put(item.alias ?? 'count', 'count(*)');
        break;
      case 'embed': {
        const { rel, target, single } = related(b, relation, item);
        const shown = item.node.select.length > 0;
        // An embed of no columns shows nothing; with !inner it still keeps only the rows that have some.
        if (!shown && item.join !== 'inner') break;
        const keys = item.spread ? outputKeys(b, target, item.node) : [];
        const mode = item.spread && !single ? 'spread' : single ? 'object' : 'array';
        const lateral = `e${laterals.length}_${alias}`;
        laterals.push(`LEFT JOIN LATERAL (${embedded(b, alias, rel, target, shown ? item.node : { ...item.node, select: [STAR] }, mode, keys, depth + 1)}) AS ${lateral} ON TRUE`);
        const value = aggregated ? `(${lateral}.v::jsonb)` : `${lateral}.v`;
        groups.push(value);
        if (item.join === 'inner') where.push(mode === 'object' ? `${lateral}.v IS NOT NULL` : mode === 'array' ? `json_array_length(${lateral}.v) > 0` : `${lateral}.n > 0`);
        embeds.set(item.alias ?? item.name, { alias: lateral, relation: target, single });
        if (!shown) break;
        if (!item.spread) put(item.alias ?? item.name, value);
        // A spread's keys join the row's (a to-one spread with no row gives each as null, as PostgREST's columns do).
        else for (const k of keys) put(k, `${value} -> ${literal(k)}`);
        break;
      }
    }
  }
  const rule = link.source ? undefined : b.rules[relation.name];
  if (rule) where.push(ruleCondition(b, relation, alias, rule));
  for (const f of node.where) where.push(condition(b, relation, alias, f));
  const row = columns ? cols.join(', ') : `${objectOf(pairs)} AS v`;
  let sql = `SELECT ${row} FROM ${link.source ?? b.ref(relation)} AS ${alias}${link.from ? ` ${link.from.replaceAll('$$ALIAS$$', alias)}` : ''} ${laterals.join(' ')}`;
  if (where.length > 0) sql += ` WHERE ${where.join(' AND ')}`;
  // Aggregates group by every plain selected column and every embedded value (PostgREST's rule).
  if (aggregated && groups.length > 0) sql += ` GROUP BY ${groups.join(', ')}`;
  if (node.order?.length && paged) sql += ` ORDER BY ${node.order.map((o) => orderKey(b, relation, alias, o, embeds)).join(', ')}`;
  if (paged && node.limit !== undefined) sql += ` LIMIT ${node.limit}`;
  if (paged && node.offset) sql += ` OFFSET ${node.offset}`;
  return { sql, alias };
}

function orderKey(b: Builder, relation: Relation, alias: string, o: RestOrder, embeds: Map<string, Embedded>): string {
  let expr: string;
  if (o.embed) {
    const e = embeds.get(o.embed);
    if (!e || !e.single) throw badRequest(`"${o.embed}" must be an embedded to-one resource of this request to order by it`);
    if (!e.relation.columns.has(o.ref.column)) throw restFault('DS_COLUMN_NOT_FOUND', { code: '42703', status: 400, message: `column ${e.relation.name}.${o.ref.column} does not exist` });
    expr = `(${e.alias}.v::jsonb -> ${literal(o.ref.column)})`;
  } else expr = column(relation, alias, o.ref, b);
  const nulls = o.nulls ?? (o.direction === 'desc' ? 'first' : 'last');
  return `${expr} ${o.direction === 'desc' ? 'DESC' : 'ASC'} NULLS ${nulls === 'first' ? 'FIRST' : 'LAST'}`;
}

function sameColumns(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((c) => b.includes(c));
}

/**
 * The lateral of one embedded resource, its rows linked to the parent's alias: one object
 * (or null), an array of them, or (a to-many spread) one array per key, as PostgREST 13 gives.
 */
function embedded(b: Builder, parentAlias: string, rel: Relationship, target: Relation, node: RestNode, mode: 'object' | 'array' | 'spread', keys: string[], depth: number): string {
  const on = (fromAlias: string, fromCols: string[], toAlias: string, toCols: string[]) => fromCols.map((c, i) => `${fromAlias}.${quote(c)} = ${toAlias}.${quote(toCols[i]!)}`);
  let inner: Compiled;
  if (rel.kind === 'to-one') inner = resource(b, target, node, { where: on(parentAlias, rel.fk.fromColumns, '$$ALIAS$$', rel.fk.toColumns), depth });
  else if (rel.kind === 'to-many') inner = resource(b, target, node, { where: on('$$ALIAS$$', rel.fk.fromColumns, parentAlias, rel.fk.toColumns), depth });
  else {
    const junction = b.relation(rel.junction);
    const j = b.alias(junction.name);
    const rule = b.rules[junction.name];
    const where = [...on(j, rel.toParent.fromColumns, parentAlias, rel.toParent.toColumns), ...(rule ? [ruleCondition(b, junction, j, rule)] : [])];
    const join = `JOIN ${b.ref(junction)} AS ${j} ON ${on(j, rel.toTarget.fromColumns, '$$ALIAS$$', rel.toTarget.toColumns).join(' AND ')}`;
    inner = resource(b, target, node, { from: join, where, depth });
  }
  if (mode === 'object') return `SELECT s.v FROM (${inner.sql}) AS s LIMIT 1`;
  if (mode === 'array') return `SELECT COALESCE(json_agg(s.v), '[]'::json) AS v FROM (${inner.sql}) AS s`;
  return `SELECT ${objectOf(keys.map((k) => `${literal(k)}, COALESCE(json_agg(s.v -> ${literal(k)}), '[]'::json)`))} AS v, count(*) AS n FROM (${inner.sql}) AS s`;
}
