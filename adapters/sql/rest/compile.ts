/**
 * A PostgREST read (../../rest-plan.ts) as ONE Postgres statement: each resource a subquery
 * building its rows as jsonb, each embedded resource a LEFT JOIN LATERAL under its parent
 * (to-one: an object or null; to-many: a jsonb array, filtered, ordered and paged inside),
 * `!inner` a condition on the lateral's value. Every table's row rule is ANDed into its own
 * subquery. Names come only from the catalogue and are quoted; values are parameters.
 */
import type { Filter } from '../../query.js';
import type { ColumnRef, RestFilter, RestNode, RestOrder, RestRead, RestWrite, SelectItem } from '../../rest-plan.js';
import type { SqlStatement } from '../compile.js';
import type { RestCatalog, Relation } from './catalog.js';
import { badRequest, restFault } from './errors.js';
import { resolveRelationship, type Relationship } from './relationships.js';

export const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;
const CAST = /^[a-z_][a-z0-9_ ]*(\[\])?$/i;
const COMPARE = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=', like: 'LIKE', ilike: 'ILIKE', match: '~', imatch: '~*' } as const;
const RANGE = { cs: '@>', cd: '<@', ov: '&&', sl: '<<', sr: '>>', nxl: '&>', nxr: '&<', adj: '-|-' } as const;
const FTS = { fts: 'to_tsquery', plfts: 'plainto_tsquery', phfts: 'phraseto_tsquery', wfts: 'websearch_to_tsquery' } as const;

export class Builder {
  readonly params: unknown[] = [];
  private aliases = 0;

  constructor(
    readonly catalog: RestCatalog,
    readonly rules: RestRead['rules'],
  ) {}

  alias(): string {
    return `t${this.aliases++}`;
  }

  bind(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  relation(name: string): Relation {
    const r = this.catalog.relations.get(name);
    if (!r) {
      throw restFault('DS_TABLE_NOT_FOUND', { code: '42P01', status: 404, message: `relation "${this.catalog.schema}.${name}" does not exist` });
    }
    if (!(name in this.rules)) throw restFault('AUTH_FORBIDDEN', { code: '42501', status: 403, message: `permission denied for table ${name}` });
    return r;
  }

  /** Whether `name` is a computed column of the relation: a function of one argument, its row. */
  computed(relation: Relation, name: string): boolean {
    return (this.catalog.routines.get(name) ?? []).some((r) => r.computedOf === relation.name);
  }

  ref(relation: Relation): string {
    return `${quote(this.catalog.schema)}.${quote(relation.name)}`;
  }
}

function column(relation: Relation, alias: string, ref: ColumnRef, b: Builder, asText = false): string {
  let sql: string;
  if (relation.columns.has(ref.column)) sql = `${alias}.${quote(ref.column)}`;
  else if (b.computed(relation, ref.column)) sql = `${quote(b.catalog.schema)}.${quote(ref.column)}(${alias})`;
  else throw restFault('DS_COLUMN_NOT_FOUND', { code: '42703', status: 400, message: `column ${relation.name}.${ref.column} does not exist` });
  for (const step of ref.path ?? []) sql += ` ${step.arrow} ${/^-?\d+$/.test(step.key) ? Number(step.key) : literal(step.key)}`;
  return asText && ref.path?.length && ref.path[ref.path.length - 1]!.arrow === '->' ? `(${sql})::text` : sql;
}

function keyOf(ref: ColumnRef): string {
  return ref.path?.length ? ref.path[ref.path.length - 1]!.key : ref.column;
}

function condition(b: Builder, relation: Relation, alias: string, f: RestFilter): string {
  if (f.kind === 'logic') {
    const parts = f.filters.map((x) => condition(b, relation, alias, x));
    const joined = parts.length === 0 ? (f.logic === 'and' ? 'TRUE' : 'FALSE') : `(${parts.join(f.logic === 'and' ? ' AND ' : ' OR ')})`;
    return f.negate ? `NOT ${joined}` : joined;
  }
  const col = column(relation, alias, f.ref, b);
  let sql: string;
  switch (f.op) {
    case 'is': {
      const v = f.value.toLowerCase();
      const what = { null: 'NULL', not_null: 'NOT NULL', true: 'TRUE', false: 'FALSE', unknown: 'UNKNOWN' }[v];
      if (!what) throw badRequest(`is. takes null, not_null, true, false or unknown, not "${f.value}"`);
      sql = `${col} IS ${what}`;
      break;
    }
    case 'in':
      sql = `${col} = ANY(${b.bind(f.values ?? [])})`;
      break;
    case 'isdistinct':
      sql = `${col} IS DISTINCT FROM ${b.bind(f.value)}`;
      break;
    case 'fts':
    case 'plfts':
    case 'phfts':
    case 'wfts':
      sql = `${col} @@ ${FTS[f.op]}(${f.language ? `${b.bind(f.language)}::regconfig, ` : ''}${b.bind(f.value)})`;
      break;
    case 'cs':
    case 'cd':
    case 'ov':
    case 'sl':
    case 'sr':
    case 'nxl':
    case 'nxr':
    case 'adj':
      sql = `${col} ${RANGE[f.op]} ${b.bind(f.op === 'ov' && f.value.startsWith('(') ? `{${f.value.slice(1, -1)}}` : f.value)}`;
      break;
    default: {
      const op = COMPARE[f.op];
      const like = f.op === 'like' || f.op === 'ilike';
      const value = (v: string) => (like ? v.replace(/\*/g, '%') : v);
      if (f.quantifier) sql = `${col} ${op} ${f.quantifier.toUpperCase()}(${b.bind((f.values ?? []).map(value))})`;
      else sql = `${column(relation, alias, f.ref, b, true)} ${op} ${b.bind(value(f.value))}`;
    }
  }
  return f.negate ? `NOT (${sql})` : sql;
}

/** A row rule (query.ts Filter) on one table's alias. */
function ruleCondition(b: Builder, relation: Relation, alias: string, f: Filter): string {
  switch (f.op) {
    case 'and':
    case 'or':
      return f.filters.length === 0 ? (f.op === 'and' ? 'TRUE' : 'FALSE') : `(${f.filters.map((x) => ruleCondition(b, relation, alias, x)).join(f.op === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `NOT (${ruleCondition(b, relation, alias, f.filter)})`;
    case 'is':
      return `${column(relation, alias, { column: f.column }, b)} IS ${f.value === null ? 'NULL' : f.value ? 'TRUE' : 'FALSE'}`;
    case 'in':
      return `${column(relation, alias, { column: f.column }, b)}::text = ANY(${b.bind(f.values.map((v) => (v === null ? null : String(v))))})`;
    default: {
      const col = column(relation, alias, { column: f.column }, b);
      if (f.value === null) return `${col} IS ${f.op === 'neq' ? 'NOT ' : ''}NULL`;
      const op = COMPARE[f.op];
      return `${col} ${op} ${b.bind(typeof f.value === 'boolean' ? f.value : String(f.value))}`;
    }
  }
}

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

/** The whole read as one statement: `body` (a JSON array text), `returned`, and `total` when counted exactly. */
export function compileRestRead(catalog: RestCatalog, read: RestRead): SqlStatement {
  const b = new Builder(catalog, read.rules);
  const relation = b.relation(read.table);
  const page = resource(b, relation, read.root, { where: [] });
  let sql = `SELECT COALESCE(jsonb_agg(p.v), '[]'::jsonb)::text AS body, count(*) AS returned`;
  if (read.count === 'exact' || read.count === 'planned' || read.count === 'estimated') {
    const all = resource(b, relation, { ...read.root, order: [] }, { where: [] }, false);
    sql += `, (SELECT count(*) FROM (${all.sql}) AS c) AS total`;
  }
  sql += ` FROM (${page.sql}) AS p`;
  return { sql, params: b.params };
}

/**
 * A write as one statement: the INSERT (… ON CONFLICT), UPDATE or DELETE in a CTE returning its
 * rows, the select tree (embeds included) over them, their count. Rows travel as one JSON
 * parameter read by json_populate_recordset, so every value meets its column's input function.
 */
export function compileRestWrite(catalog: RestCatalog, write: RestWrite): SqlStatement {
  const b = new Builder(catalog, write.rules);
  const relation = b.relation(write.table);
  const ref = b.ref(relation);
  const known = (name: string) => {
    if (!relation.columns.has(name)) throw restFault('DS_COLUMN_NOT_FOUND', { code: 'PGRST204', status: 400, message: `Could not find the '${name}' column of '${relation.name}' in the schema cache` });
    return quote(name);
  };
  let cte: string;
  if (write.kind === 'insert') {
    const rows = write.rows ?? [];
    const columns = write.columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const names = columns.map(known).join(', ');
    cte = columns.length === 0 ? `INSERT INTO ${ref} DEFAULT VALUES` : `INSERT INTO ${ref} (${names}) SELECT ${names} FROM ${insertedRows(b, relation, columns, rows, write.missingDefault === true)}`;
    if (write.onConflict) {
      const target = write.onConflict.columns ?? relation.primaryKey;
      if (target.length === 0) throw badRequest(`${relation.name} has no primary key: name on_conflict columns`);
      cte += ` ON CONFLICT (${target.map(known).join(', ')})`;
      // As PostgREST: a merge sets every column the body names, the conflict target's too.
      cte += write.onConflict.resolution === 'ignore' || columns.length === 0 ? ' DO NOTHING' : ` DO UPDATE SET ${columns.map((c) => `${quote(c)} = EXCLUDED.${quote(c)}`).join(', ')}`;
    }
  } else {
    const alias = b.alias();
    const where: string[] = [];
    const rule = b.rules[relation.name];
    if (rule) where.push(ruleCondition(b, relation, alias, rule));
    for (const f of write.root.where) where.push(condition(b, relation, alias, f));
    const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
    if (write.kind === 'delete') cte = `DELETE FROM ${ref} AS ${alias}${clause}`;
    else {
      const patch = write.rows?.[0] ?? {};
      const columns = Object.keys(patch);
      if (columns.length === 0) throw badRequest('The body holds no columns to update');
      const names = columns.map(known).join(', ');
      cte = `UPDATE ${ref} AS ${alias} SET (${names}) = (SELECT ${names} FROM json_populate_record(NULL::${ref}, ${b.bind(JSON.stringify(patch))}::json))${clause}`;
    }
  }
  // An upsert tells inserted rows from updated ones (xmax is 0 on a row this statement inserted): all updated is 200.
  const upsert = write.kind === 'insert' && write.onConflict !== undefined;
  const returning = upsert ? `RETURNING *, (xmax = 0) AS ${quote(INSERTED)}` : 'RETURNING *';
  const body = write.returning
    ? `(SELECT COALESCE(jsonb_agg(p.v), '[]'::jsonb)::text FROM (${resource(b, relation, { select: write.root.select, where: [] }, { where: [], source: 'pgrst_source', ...(upsert ? { hidden: INSERTED } : {}) }).sql}) AS p)`
    : "'[]'";
  const inserted = upsert ? `, (SELECT count(*) FROM pgrst_source WHERE ${quote(INSERTED)}) AS inserted` : '';
  return {
    sql: `WITH pgrst_source AS (${cte} ${returning}) SELECT ${body} AS body, (SELECT count(*) FROM pgrst_source) AS affected${inserted}`,
    params: b.params,
  };
}

/** The column an upsert's CTE adds to say whether each row was inserted; never shown. */
const INSERTED = 'pgrst_inserted';

/**
 * The body's rows as a record set of the table's type. With `missing=default` a key a row
 * leaves out takes the column's default, evaluated per row as PostgREST does (a sequence
 * advances for every row), instead of NULL.
 */
function insertedRows(b: Builder, relation: Relation, columns: string[], rows: Array<Record<string, unknown>>, missingDefault: boolean): string {
  const ref = b.ref(relation);
  const json = b.bind(JSON.stringify(rows));
  const defaults = missingDefault ? columns.filter((c) => relation.defaults.has(c)).map((c) => `${literal(c)}, ${relation.defaults.get(c)!}`) : [];
  if (defaults.length === 0) return `json_populate_recordset(NULL::${ref}, ${json}::json)`;
  const objects: string[] = [];
  for (let i = 0; i < defaults.length; i += 50) objects.push(`jsonb_build_object(${defaults.slice(i, i + 50).join(', ')})`);
  return `jsonb_populate_recordset(NULL::${ref}, (SELECT jsonb_agg(${objects.join(' || ')} || e ORDER BY n) FROM jsonb_array_elements(${json}::jsonb) WITH ORDINALITY AS d(e, n)))`;
}
