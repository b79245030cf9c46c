/**
 * A PostgREST read or write (../../rest-plan.ts) as ONE Postgres statement over the select tree
 * of resource.ts. Names come only from the catalogue and are quoted; values are parameters.
 */
import type { RestRead, RestWrite } from '../../rest-plan.js';
import type { SqlStatement } from '../compile.js';
import type { RestCatalog, Relation } from './catalog.js';
import { Builder, condition, literal, quote, ruleCondition } from './builder.js';
import { badRequest, restFault } from './errors.js';
import { resource } from './resource.js';

export interface CompiledRead {
  statement: SqlStatement;
  /** count=planned|estimated: the count query, to EXPLAIN for the planner's estimate. */
  counting?: SqlStatement;
}

/**
 * The whole read as one statement: `body` (a JSON array text; CSV or a GeoJSON collection when
 * asked), `returned`, and `total` when counted exactly. The page goes through a CTE that CSV
 * reads twice (its header from the first row, as PostgREST writes it).
 */
export function compileRestRead(catalog: RestCatalog, read: RestRead): CompiledRead {
  const b = new Builder(catalog, read.rules);
  const relation = b.relation(read.table);
  const page = resource(b, relation, read.root, { where: [] }, true, read.format !== undefined);
  let body = "COALESCE(json_agg(p.v), '[]'::json)::text";
  if (read.format === 'csv') {
    const header = "(SELECT COALESCE(string_agg(k.key, ','), '') FROM (SELECT json_object_keys(row_to_json(h)) AS key FROM (SELECT * FROM pgrst_page LIMIT 1) AS h) AS k)";
    body = `${header} || E'\\n' || COALESCE(string_agg(substring(p::text, 2, length(p::text) - 2), E'\\n'), '')`;
  } else if (read.format === 'geojson') {
    body = "json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(ST_AsGeoJSON(p)::json), '[]'::json))::text";
  }
  let sql = `WITH pgrst_page AS (${page.sql}) SELECT ${body} AS body, count(*) AS returned`;
  if (read.count === 'exact' || read.count === 'estimated') sql += `, (SELECT count(*) FROM (${resource(b, relation, { ...read.root, order: [] }, { where: [] }, false).sql}) AS c) AS total`;
  sql += ' FROM pgrst_page AS p';
  const compiled: CompiledRead = { statement: { sql, params: b.params } };
  if (read.count === 'planned' || read.count === 'estimated') {
    const c = new Builder(catalog, read.rules);
    compiled.counting = { sql: `SELECT 1 FROM (${resource(c, relation, { ...read.root, order: [] }, { where: [] }, false).sql}) AS c`, params: c.params };
  }
  return compiled;
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
    // A merge under a row rule updates only rows the rule lets the caller write (PostgresRest.write refuses the rest).
    const rule = write.onConflict?.resolution === 'merge' ? b.rules[relation.name] : null;
    const stored = rule ? b.alias() : undefined;
    const into = stored ? `${ref} AS ${stored}` : ref;
    cte = columns.length === 0 ? `INSERT INTO ${into} DEFAULT VALUES` : `INSERT INTO ${into} (${names}) SELECT ${names} FROM ${insertedRows(b, relation, columns, rows, write.missingDefault === true)}`;
    if (write.onConflict) {
      const target = write.onConflict.columns ?? relation.primaryKey;
      if (target.length === 0) throw badRequest(`${relation.name} has no primary key: name on_conflict columns`);
      cte += ` ON CONFLICT (${target.map(known).join(', ')})`;
      // As PostgREST: a merge sets every column the body names, the conflict target's too.
      cte += write.onConflict.resolution === 'ignore' || columns.length === 0 ? ' DO NOTHING' : ` DO UPDATE SET ${columns.map((c) => `${quote(c)} = EXCLUDED.${quote(c)}`).join(', ')}`;
      if (rule && stored && columns.length > 0) cte += ` WHERE ${ruleCondition(b, relation, stored, rule)}`;
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
    ? `(SELECT COALESCE(json_agg(p.v), '[]'::json)::text FROM (${resource(b, relation, { select: write.root.select, where: [] }, { where: [], source: 'pgrst_source' }).sql}) AS p)`
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
