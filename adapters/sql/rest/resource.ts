/**
 * One resource of the select tree as a subquery building each row as jsonb: every embedded
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
  /** The subquery's SQL: one column `v` (the row as jsonb). */
  sql: string;
}

/**
 * One resource: `SELECT <row jsonb> AS v FROM <table> <alias> <laterals> WHERE … ORDER … LIMIT …`.
 * `link` is the join condition to the parent (embedded resources), `extraFrom` a junction.
 */
export function resource(b: Builder, relation: Relation, node: RestNode, link: { from?: string; where: string[]; source?: string; hidden?: string }, paged = true): Compiled & { alias: string } {
  const alias = b.alias();
  const laterals: string[] = [];
  const where: string[] = [...link.where.map((w) => w.replaceAll('$$ALIAS$$', alias))];
  const parts: string[] = [];
  const pairs: string[] = [];
  const embeds = new Map<string, { alias: string; relation: Relation; single: boolean }>();
  const aggregates: string[] = [];
  for (const item of node.select.length === 0 ? [{ kind: 'star' } as SelectItem] : node.select) {
    switch (item.kind) {
      case 'star':
        parts.push(link.hidden ? `(to_jsonb(${alias}.*) - ${literal(link.hidden)})` : `to_jsonb(${alias}.*)`);
        break;
      case 'column': {
        let sql = column(relation, alias, item.ref, b);
        if (item.aggregate) {
          sql = `${item.aggregate}(${sql})`;
          aggregates.push(sql);
        }
        if (item.cast) {
          if (!CAST.test(item.cast)) throw badRequest(`"${item.cast}" is not a type name`);
          sql = `CAST(${sql} AS ${item.cast})`;
        }
        pairs.push(`${literal(item.alias ?? (item.aggregate && !item.ref.path ? item.aggregate : keyOf(item.ref)))}, ${sql}`);
        break;
      }
      case 'count':
        aggregates.push('count(*)');
        pairs.push(`${literal(item.alias ?? 'count')}, count(*)`);
        break;
      case 'embed': {
        const rel = resolveRelationship(b.catalog, relation.name, item.name, item.hint);
        const target = b.relation(rel.target);
        const single = rel.kind === 'to-one' || (rel.kind === 'to-many' && sameColumns(rel.fk.fromColumns, target.primaryKey));
        const e = embedded(b, relation, alias, rel, target, item.node, single);
        const lateral = `e${laterals.length}_${alias}`;
        laterals.push(`LEFT JOIN LATERAL (${e}) AS ${lateral} ON TRUE`);
        const value = `${lateral}.v`;
        if (item.join === 'inner') where.push(single ? `${value} IS NOT NULL` : `jsonb_array_length(${value}) > 0`);
        if (item.spread) {
          if (!single) parts.push(`COALESCE(${value}, '{}'::jsonb)`);
          else parts.push(`COALESCE(${value}, '{}'::jsonb)`);
        } else pairs.push(`${literal(item.alias ?? item.name)}, ${value}`);
        embeds.set(item.alias ?? item.name, { alias: lateral, relation: target, single });
        break;
      }
    }
  }
  for (let i = 0; i < pairs.length; i += 50) parts.push(`jsonb_build_object(${pairs.slice(i, i + 50).join(', ')})`);
  const rule = link.source ? undefined : b.rules[relation.name];
  if (rule) where.push(ruleCondition(b, relation, alias, rule));
  for (const f of node.where) where.push(condition(b, relation, alias, f));
  const row = parts.length === 0 ? "'{}'::jsonb" : parts.join(' || ');
  let sql = `SELECT ${row} AS v FROM ${link.source ?? b.ref(relation)} AS ${alias}${link.from ? ` ${link.from.replaceAll('$$ALIAS$$', alias)}` : ''} ${laterals.join(' ')}`;
  if (where.length > 0) sql += ` WHERE ${where.join(' AND ')}`;
  if (aggregates.length > 0) {
    // Aggregates group by every plain selected column (PostgREST's rule).
    const groups = node.select.filter((i): i is Extract<SelectItem, { kind: 'column' }> => i.kind === 'column' && !i.aggregate).map((i) => column(relation, alias, i.ref, b));
    if (groups.length > 0) sql += ` GROUP BY ${groups.join(', ')}`;
  }
  if (node.order?.length && paged) sql += ` ORDER BY ${node.order.map((o) => orderKey(b, relation, alias, o, embeds)).join(', ')}`;
  if (paged && node.limit !== undefined) sql += ` LIMIT ${node.limit}`;
  if (paged && node.offset) sql += ` OFFSET ${node.offset}`;
  return { sql, alias };
}

function orderKey(b: Builder, relation: Relation, alias: string, o: RestOrder, embeds: Map<string, { alias: string; relation: Relation; single: boolean }>): string {
  let expr: string;
  if (o.embed) {
    const e = embeds.get(o.embed);
    if (!e || !e.single) throw badRequest(`"${o.embed}" must be an embedded to-one resource of this request to order by it`);
    if (!e.relation.columns.has(o.ref.column)) throw restFault('DS_COLUMN_NOT_FOUND', { code: '42703', status: 400, message: `column ${e.relation.name}.${o.ref.column} does not exist` });
    expr = `(${e.alias}.v -> ${literal(o.ref.column)})`;
  } else expr = column(relation, alias, o.ref, b);
  const nulls = o.nulls ?? (o.direction === 'desc' ? 'first' : 'last');
  return `${expr} ${o.direction === 'desc' ? 'DESC' : 'ASC'} NULLS ${nulls === 'first' ? 'FIRST' : 'LAST'}`;
}

function sameColumns(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((c) => b.includes(c));
}

/** The lateral of one embedded resource: its rows linked to the parent's alias. */
function embedded(b: Builder, parent: Relation, parentAlias: string, rel: Relationship, target: Relation, node: RestNode, single: boolean): string {
  const on = (fromAlias: string, fromCols: string[], toAlias: string, toCols: string[]) => fromCols.map((c, i) => `${fromAlias}.${quote(c)} = ${toAlias}.${quote(toCols[i]!)}`);
  let inner: Compiled;
  if (rel.kind === 'to-one') inner = resource(b, target, node, { where: on(parentAlias, rel.fk.fromColumns, '$$ALIAS$$', rel.fk.toColumns) });
  else if (rel.kind === 'to-many') inner = resource(b, target, node, { where: on('$$ALIAS$$', rel.fk.fromColumns, parentAlias, rel.fk.toColumns) });
  else {
    const junction = b.relation(rel.junction);
    const j = b.alias();
    const rule = b.rules[junction.name];
    const where = [...on(j, rel.toParent.fromColumns, parentAlias, rel.toParent.toColumns), ...(rule ? [ruleCondition(b, junction, j, rule)] : [])];
    const join = `JOIN ${b.ref(junction)} AS ${j} ON ${on(j, rel.toTarget.fromColumns, '$$ALIAS$$', rel.toTarget.toColumns).join(' AND ')}`;
    inner = resource(b, target, node, { from: join, where });
  }
  void parent;
  return single ? `SELECT s.v FROM (${inner.sql}) AS s LIMIT 1` : `SELECT COALESCE(jsonb_agg(s.v), '[]'::jsonb) AS v FROM (${inner.sql}) AS s`;
}
