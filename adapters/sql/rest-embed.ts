/**
 * PostgREST resource embedding on SQLite and MySQL/MariaDB, one statement per read: each
 * embedded resource is a correlated subquery building JSON (SQLite `json_object` /
 * `json_group_array`, MariaDB `JSON_OBJECT` / `JSON_ARRAYAGG`) over the foreign keys the
 * backend's own catalogue gives (describe-table.ts), resolved as PostgREST does
 * (rest/relationships.ts). Every table the tree reaches is read through its row rule (a derived
 * table filtered by it), so an embed never shows a row the caller may not read. JSON comes back
 * as text and is decoded here by each embedded table's column types (SQLite booleans are 0/1).
 *
 * Supported: `*` and plain columns with aliases, to-one, to-many and many-to-many embeds nested to any depth,
 * FK hints, `!inner`, spread of to-one embeds (`...name(…)`), filters on every resource (eq neq gt gte lt lte like ilike in is, and/or/not),
 * many-to-many through a join table, order, limit and offset on the top resource and on to-many embeds,
 * exact (and estimated, given exact) counts.
 * Anything else is DS_UNSUPPORTED naming the feature and the backend, never a different query.
 */
import { unsupportedRest } from '../base.js';
import type { Filter } from '../query.js';
import type { RestFilter, RestNode, RestOrder, RestRead, RestReadResult } from '../rest-plan.js';
import type { SchemaCache } from '../schema-cache.js';
import type { Row, SchemaInfo, TableInfo } from '../types.js';
import { prepareWhere } from '../validate.js';
import { decodeValue } from '../values.js';
import { compileSelect } from './compile.js';
import { describeTable } from './describe-table.js';
import type { SqlDriver } from './driver.js';
import { decodeRow } from './ops.js';
import type { RestCatalog } from './rest/catalog.js';
import { restFault } from './rest/errors.js';
import { resolveRelationship, type Relationship } from './rest/relationships.js';

/** How a resource's JSON is turned back into canonical values: its fields in select order. */
interface Shape {
  info: TableInfo;
  /** `spread`: a to-one embed written as `...name(…)`, its fields merged into the parent's. */
  fields: Array<{ key: string; column: string } | { key: string; embed: Shape; many: boolean; slot: string; spread: boolean }>;
}

/** The column carrying the count of all matching rows beside each row of the page. */
const TOTAL = 'pgrst_total';

/** MariaDB's LIMIT needs a count: one no page reaches. */
const UNBOUNDED = '18446744073709551615';

const COMPARE = new Set(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike']);

export class DialectRest {
  private cached?: { info: SchemaInfo; catalog: RestCatalog; tables: Map<string, TableInfo> };

  constructor(
    private readonly driver: SqlDriver,
    private readonly schema: SchemaCache,
  ) {}

  /** A read with embeds; without, DS_UNSUPPORTED so MagGate answers it on its simple path. */
  async read(read: RestRead): Promise<RestReadResult> {
    const refuse = (feature: string) => unsupportedRest(this.driver.kind, feature);
    if (!read.root.select.some((i) => i.kind === 'embed')) throw refuse('PostgREST resource embedding and operators');
    if (read.schema) throw refuse('Schema profiles (Accept-Profile)');
    if (read.format || read.explain) throw refuse('CSV, GeoJSON and plan answers with embedded resources');
    if (read.count === 'planned') throw refuse('Planned counts');
    const { catalog, tables } = await this.catalog();
    const compilation = () => new Compilation(this.driver, catalog, tables, read.rules, refuse);
    const counted = read.count !== undefined;
    const { sql, params, shape } = compilation().root(read.table, read.root, counted);
    const { rows } = await this.driver.runner.run({ sql, params });
    const inJson = this.driver.dialect.name === 'mysql' ? fromMysqlJson : fromSqliteJson;
    const body = rows.map((raw) => materialise(shape, raw, this.driver.dialect.jsonIsText, inJson));
    const result: RestReadResult = { body: JSON.stringify(body), returned: body.length };
    if (counted) {
      // The page's rows carry the count of all (COUNT(*) OVER ()); a page past them or of none asks again.
      const paged = (read.root.offset ?? 0) > 0 || read.root.limit === 0;
      if (rows.length > 0) result.total = Number(rows[0]![TOTAL]);
      else if (paged) {
        const count = compilation().count(read.table, read.root);
        result.total = Number((await this.driver.runner.run(count)).rows[0]?.['n'] ?? 0);
      } else result.total = 0;
    }
    return result;
  }

  /** The tables and foreign keys as relationships.ts reads them, rebuilt when the schema changes. */
  private async catalog(): Promise<{ catalog: RestCatalog; tables: Map<string, TableInfo> }> {
    const info = await this.schema.get();
    if (this.cached?.info === info) return this.cached;
    const catalog: RestCatalog = { schema: this.driver.kind, relations: new Map(), foreignKeys: [], routines: new Map() };
    const tables = new Map<string, TableInfo>();
    for (const table of info.tables) {
      const d = await describeTable(this.driver.dialect.name, this.driver.runner, this.driver.tableRef(table.name), table);
      tables.set(table.name, table);
      catalog.relations.set(table.name, { name: table.name, columns: new Map(table.columns.map((col) => [col.name, col.nativeType])), defaults: new Map(), primaryKey: table.primaryKey });
      for (const fk of d.foreignKeys) catalog.foreignKeys.push({ name: fk.name, from: table.name, fromColumns: fk.columns, to: fk.references.table, toColumns: fk.references.columns });
    }
    this.cached = { info, catalog, tables };
    return this.cached;
  }
}

/** Builds the statement strictly left to right: both dialects bind positionally (`?`). */
class Compilation {
  readonly params: unknown[] = [];
  private aliases = 0;
  private slots = 0;
  private readonly mysql: boolean;

  constructor(
    private readonly driver: SqlDriver,
    private readonly catalog: RestCatalog,
    private readonly tables: Map<string, TableInfo>,
    private readonly rules: RestRead['rules'],
    private readonly refuse: (feature: string) => Error,
  ) {
    this.mysql = driver.dialect.name === 'mysql';
  }

  root(table: string, node: RestNode, counted: boolean): { sql: string; params: unknown[]; shape: Shape } {
    const info = this.info(table);
    const alias = this.alias();
    const shape: Shape = { info, fields: [] };
    const columns: string[] = [`${alias}.*`, ...(counted ? [`COUNT(*) OVER () AS ${this.q(TOTAL)}`] : [])];
    for (const item of node.select) {
      if (item.kind === 'star') shape.fields.push(...info.columns.map((col) => ({ key: col.name, column: col.name })));
      else if (item.kind === 'column') shape.fields.push({ key: item.alias ?? item.ref.column, column: this.plainColumn(info, item) });
      else if (item.kind === 'embed') {
        const slot = `pgrst_embed_${this.slots++}`;
        const { sql, shape: inner, many } = this.embed(table, alias, item);
        columns.push(`${sql} AS ${this.q(slot)}`);
        shape.fields.push({ key: item.alias ?? item.name, embed: inner, many, slot, spread: item.spread });
      } else throw this.refuse('Counts and aggregates in select');
    }
    let sql = `SELECT ${columns.join(', ')} FROM ${this.rowset(info, node.where)} AS ${alias}`;
    const inner = this.innerJoins(table, alias, node);
    if (inner.length > 0) sql += ` WHERE ${inner.join(' AND ')}`;
    sql += this.orderBy(info, alias, node.order);
    if (node.limit !== undefined) sql += ` LIMIT ${this.whole(node.limit)}`;
    if (node.offset) sql += `${node.limit === undefined ? ` LIMIT ${this.driver.dialect.unlimited ?? '-1'}` : ''} OFFSET ${this.whole(node.offset)}`;
    return { sql, params: this.params, shape };
  }

  /** The rows the read matches, counted (a page of none cannot carry the count). */
  count(table: string, node: RestNode): { sql: string; params: unknown[] } {
    const info = this.info(table);
    const alias = this.alias();
    let sql = `SELECT COUNT(*) AS n FROM ${this.rowset(info, node.where)} AS ${alias}`;
    const inner = this.innerJoins(table, alias, node);
    if (inner.length > 0) sql += ` WHERE ${inner.join(' AND ')}`;
    return { sql, params: this.params };
  }

  /** One embedded resource as a correlated subquery giving its JSON object (to-one) or array (to-many). */
  private embed(parent: string, parentAlias: string, item: Extract<RestNode['select'][number], { kind: 'embed' }>): { sql: string; shape: Shape; many: boolean } {
    const node = item.node;
    const rel = resolveRelationship(this.catalog, parent, item.name, item.hint);
    const info = this.info(rel.target);
    const many = rel.kind !== 'to-one';
    if (item.spread && many) throw this.refuse('Spread of to-many embeds (...)');
    if (!many && (node.limit !== undefined || node.offset)) throw this.refuse('Limit and offset on to-one embedded resources');
    const alias = this.alias();
    const shape: Shape = { info, fields: [] };
    const pairs: string[] = [];
    for (const field of node.select) {
      if (field.kind === 'star') {
        for (const col of info.columns) {
          shape.fields.push({ key: col.name, column: col.name });
          pairs.push(`${this.bind(col.name)}, ${alias}.${this.q(col.name)}`);
        }
      } else if (field.kind === 'column') {
        const column = this.plainColumn(info, field);
        const key = field.alias ?? field.ref.column;
        shape.fields.push({ key, column });
        pairs.push(`${this.bind(key)}, ${alias}.${this.q(column)}`);
      } else if (field.kind === 'embed') {
        const key = field.alias ?? field.name;
        const keySql = this.bind(key);
        const nested = this.embed(rel.target, alias, field);
        shape.fields.push({ key, embed: nested.shape, many: nested.many, slot: key, spread: field.spread });
        pairs.push(`${keySql}, ${this.mysql ? `JSON_EXTRACT(${nested.sql}, '$')` : `json(${nested.sql})`}`);
      } else throw this.refuse('Counts and aggregates in select');
    }
    const object = `${this.mysql ? 'JSON_OBJECT' : 'json_object'}(${pairs.join(', ')})`;
    const order = many ? this.orderBy(info, alias, node.order) : '';
    const paged = node.limit !== undefined || (node.offset ?? 0) > 0;
    // Every value and key above is bound already: the rows, then the conditions, come next in the text.
    const from = `${this.rowset(info, node.where)} AS ${alias}`;
    const where = [this.correlate(rel, parentAlias, alias), ...this.innerJoins(rel.target, alias, node)].join(' AND ');
    if (!many) return { sql: `(SELECT ${object} FROM ${from} WHERE ${where} LIMIT 1)`, shape, many };
    if (this.mysql) {
      const page = paged ? ` LIMIT ${node.limit === undefined ? UNBOUNDED : this.whole(node.limit)} OFFSET ${this.whole(node.offset ?? 0)}` : '';
      return { sql: `(SELECT COALESCE(JSON_ARRAYAGG(${object}${order}${page}), '[]') FROM ${from} WHERE ${where})`, shape, many };
    }
    if (!paged) return { sql: `(SELECT json_group_array(${object}${order}) FROM ${from} WHERE ${where})`, shape, many };
    // SQLite's json_group_array has no LIMIT: the page is a correlated derived table, numbered in its order.
    const page = ` LIMIT ${node.limit === undefined ? -1 : this.whole(node.limit)} OFFSET ${this.whole(node.offset ?? 0)}`;
    const rows = `SELECT ${object} AS v, ROW_NUMBER() OVER (${order.trim()}) AS n FROM ${from} WHERE ${where}${order}${page}`;
    return { sql: `(SELECT json_group_array(json(p.v) ORDER BY p.n) FROM (${rows}) AS p)`, shape, many };
  }

  /** `!inner` embeds of a node: its rows must have at least one of theirs (their own filters and inner embeds included). */
  private innerJoins(table: string, alias: string, node: RestNode): string[] {
    const out: string[] = [];
    for (const item of node.select) {
      if (item.kind !== 'embed' || item.join !== 'inner') continue;
      const rel = resolveRelationship(this.catalog, table, item.name, item.hint);
      const info = this.info(rel.target);
      const inner = this.alias();
      const from = this.rowset(info, item.node.where);
      const where = [this.correlate(rel, alias, inner), ...this.innerJoins(rel.target, inner, item.node)];
      out.push(`EXISTS (SELECT 1 FROM ${from} AS ${inner} WHERE ${where.join(' AND ')})`);
    }
    return out;
  }

  /**
   * The join condition between the parent's alias and the embedded one's: the key on either
   * side, or (many-to-many) a row of the join table, read through its own row rule, naming both.
   */
  private correlate(rel: Relationship, parent: string, child: string): string {
    const equal = (a: string, aColumns: string[], b: string, bColumns: string[]) => aColumns.map((col, i) => `${a}.${this.q(col)} = ${b}.${this.q(bColumns[i]!)}`).join(' AND ');
    if (rel.kind === 'to-one') return equal(child, rel.fk.toColumns, parent, rel.fk.fromColumns);
    if (rel.kind === 'to-many') return equal(child, rel.fk.fromColumns, parent, rel.fk.toColumns);
    const junction = this.alias();
    const from = this.rowset(this.info(rel.junction), []);
    return `EXISTS (SELECT 1 FROM ${from} AS ${junction} WHERE ${equal(junction, rel.toParent.fromColumns, parent, rel.toParent.toColumns)} AND ${equal(junction, rel.toTarget.fromColumns, child, rel.toTarget.toColumns)})`;
  }

  private whole(n: number): number {
    if (!Number.isSafeInteger(n) || n < 0) throw this.refuse('Limits that are not whole numbers');
    return n;
  }

  /** The table as the caller may see it: through its row rule and the resource's filters, else the table itself. */
  private rowset(info: TableInfo, where: RestFilter[]): string {
    const rule = this.rules[info.name];
    const filters: Filter[] = [...(rule ? [rule] : []), ...where.map((f) => this.filter(f))];
    const ref = this.driver.tableRef(info.name);
    if (filters.length === 0) return ref;
    const filter: Filter = filters.length === 1 ? filters[0]! : { op: 'and', filters };
    const statement = compileSelect(this.driver.dialect, { ref, info }, { table: info.name, where: prepareWhere(info, filter)! });
    this.params.push(...statement.params);
    return `(${statement.sql})`;
  }

  /** A PostgREST filter as the portable Filter (its values then meet the column's type as on /v1). */
  private filter(f: RestFilter): Filter {
    if (f.kind === 'logic') {
      const joined: Filter = { op: f.logic, filters: f.filters.map((x) => this.filter(x)) };
      return f.negate ? { op: 'not', filter: joined } : joined;
    }
    if (f.ref.path?.length) throw this.refuse('JSON paths in filters on embedded reads');
    if (f.quantifier) throw this.refuse(`${f.op}(${f.quantifier}) filters`);
    let out: Filter;
    if (COMPARE.has(f.op)) out = { op: f.op as 'eq', column: f.ref.column, value: f.value };
    else if (f.op === 'in') out = { op: 'in', column: f.ref.column, values: f.values ?? [] };
    else if (f.op === 'is') {
      const v = f.value.toLowerCase();
      if (v === 'null') out = { op: 'is', column: f.ref.column, value: null };
      else if (v === 'not_null') out = { op: 'not', filter: { op: 'is', column: f.ref.column, value: null } };
      else if (v === 'true' || v === 'false') out = { op: 'is', column: f.ref.column, value: v === 'true' };
      else throw this.refuse(`is.${f.value} filters`);
    } else throw this.refuse(`The ${f.op} operator`);
    return f.negate ? { op: 'not', filter: out } : out;
  }

  /** ORDER BY with PostgREST's (Postgres's) NULL placement: last ascending, first descending. */
  private orderBy(info: TableInfo, alias: string, order: RestOrder[] | undefined): string {
    if (!order?.length) return '';
    const keys = order.map((o) => {
      if (o.embed || o.ref.path?.length) throw this.refuse('Ordering by embedded resources or JSON paths');
      const col = `${alias}.${this.q(this.column(info, o.ref.column))}`;
      const nullsFirst = (o.nulls ?? (o.direction === 'desc' ? 'first' : 'last')) === 'first';
      return `${col} IS NULL ${nullsFirst ? 'DESC' : 'ASC'}, ${col} ${o.direction === 'desc' ? 'DESC' : 'ASC'}`;
    });
    return ` ORDER BY ${keys.join(', ')}`;
  }

  private plainColumn(info: TableInfo, item: Extract<RestNode['select'][number], { kind: 'column' }>): string {
    if (item.ref.path?.length || item.cast || item.aggregate) throw this.refuse('JSON paths, casts and aggregates in select');
    return this.column(info, item.ref.column);
  }

  private column(info: TableInfo, name: string): string {
    if (!info.columns.some((c) => c.name === name)) throw restFault('DS_COLUMN_NOT_FOUND', { code: '42703', status: 400, message: `column ${info.name}.${name} does not exist` });
    return name;
  }

  private info(table: string): TableInfo {
    const info = this.tables.get(table);
    if (!info) throw restFault('DS_TABLE_NOT_FOUND', { code: '42P01', status: 404, message: `relation "${table}" does not exist` });
    if (!(table in this.rules)) throw restFault('AUTH_FORBIDDEN', { code: '42501', status: 403, message: `permission denied for table ${table}` });
    return info;
  }

  private alias(): string {
    return `t${this.aliases++}`;
  }

  private bind(value: unknown): string {
    this.params.push(value);
    return '?';
  }

  private q(name: string): string {
    return this.driver.dialect.quote(name);
  }
}

/** A value inside the backend's JSON as a canonical one (values.ts), by its column's type. */
type JsonDecoder = (type: TableInfo['columns'][number]['type'], value: unknown) => unknown;

/** SQLite writes booleans as 0/1 and a json column's text as a JSON string. */
const fromSqliteJson: JsonDecoder = (type, value) => decodeValue(type, value, true);

/**
 * MariaDB writes a json column's value as JSON itself (never parsed again), booleans as 0/1,
 * and DATETIME as `YYYY-MM-DD HH:MM:SS[.fff]` in UTC (the driver's timezone, Z), never local.
 */
const fromMysqlJson: JsonDecoder = (type, value) => {
  if (type === 'timestamp' && typeof value === 'string' && MYSQL_DATETIME.test(value)) return decodeValue(type, `${value.replace(' ', 'T')}Z`, false);
  return decodeValue(type, value, false);
};
const MYSQL_DATETIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/;

/** A top-level row: its columns decoded, each embed's JSON text parsed and decoded by its shape. */
function materialise(shape: Shape, raw: Row, jsonIsText: boolean, inJson: JsonDecoder): Row {
  const row = decodeRow(shape.info, raw, jsonIsText);
  const out: Row = {};
  for (const field of shape.fields) {
    if ('column' in field) out[field.key] = row[field.column];
    else {
      const text = raw[field.slot];
      const value: unknown = typeof text === 'string' ? JSON.parse(text) : (text ?? null);
      place(out, field, embedded(field.embed, value, field.many, inJson));
    }
  }
  return out;
}

/** An embed's value under its key, or (spread) its fields in the parent, null all when it found no row. */
function place(out: Row, field: { key: string; embed: Shape; spread: boolean }, value: unknown): void {
  if (!field.spread) {
    out[field.key] = value;
    return;
  }
  const object = value as Row | null;
  for (const key of keysOf(field.embed)) out[key] = object ? object[key] : null;
}

function keysOf(shape: Shape): string[] {
  return shape.fields.flatMap((f) => ('embed' in f && f.spread ? keysOf(f.embed) : [f.key]));
}

function embedded(shape: Shape, value: unknown, many: boolean, inJson: JsonDecoder): unknown {
  if (value === null || value === undefined) return many ? [] : null;
  if (many) return (value as Row[]).map((v) => embeddedObject(shape, v, inJson));
  return embeddedObject(shape, value as Row, inJson);
}

function embeddedObject(shape: Shape, object: Row, inJson: JsonDecoder): Row {
  const out: Row = {};
  for (const field of shape.fields) {
    if ('column' in field) {
      const column = shape.info.columns.find((c) => c.name === field.column)!;
      out[field.key] = inJson(column.type, object[field.key]);
    } else place(out, field, embedded(field.embed, object[field.key], field.many, inJson));
  }
  return out;
}
