/**
 * The SQL fragments every PostgREST statement is made of: quoted names that come only from the
 * catalogue, bound values, a column reference with its JSON path (or a computed column), a
 * filter with PostgREST's operators, and a row rule on one table's alias.
 */
import type { Filter } from '../../query.js';
import type { ColumnRef, RestFilter, RestRead } from '../../rest-plan.js';
import type { RestCatalog, Relation } from './catalog.js';
import { badRequest, restFault } from './errors.js';

export const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;
export const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;
export const CAST = /^[a-z_][a-z0-9_ ]*(\[\])?$/i;
const COMPARE = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=', like: 'LIKE', ilike: 'ILIKE', match: '~', imatch: '~*' } as const;
const RANGE = { cs: '@>', cd: '<@', ov: '&&', sl: '<<', sr: '>>', nxl: '&>', nxr: '&<', adj: '-|-' } as const;
const FTS = { fts: 'to_tsquery', plfts: 'plainto_tsquery', phfts: 'phraseto_tsquery', wfts: 'websearch_to_tsquery' } as const;

export class Builder {
  readonly params: unknown[] = [];
  private aliases = 0;
  private readonly shown = new Map<string, string>();

  constructor(
    readonly catalog: RestCatalog,
    readonly rules: RestRead['rules'],
  ) {}

  /** A fresh alias; `shown` is the name errors give it (PostgREST's: the table, `<table>_<depth>` when embedded). */
  alias(shown?: string): string {
    const alias = `t${this.aliases++}`;
    if (shown) this.shown.set(alias, shown);
    return alias;
  }

  /** The name an error gives the alias's table. */
  nameOf(alias: string, relation: Relation): string {
    return this.shown.get(alias) ?? relation.name;
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

export function column(relation: Relation, alias: string, ref: ColumnRef, b: Builder, asText = false): string {
  let sql: string;
  if (relation.columns.has(ref.column)) sql = `${alias}.${quote(ref.column)}`;
  else if (b.computed(relation, ref.column)) sql = `${quote(b.catalog.schema)}.${quote(ref.column)}(${alias})`;
  else throw restFault('DS_COLUMN_NOT_FOUND', { code: '42703', status: 400, message: `column ${b.nameOf(alias, relation)}.${ref.column} does not exist` });
  for (const step of ref.path ?? []) sql += ` ${step.arrow} ${/^-?\d+$/.test(step.key) ? Number(step.key) : literal(step.key)}`;
  return asText && ref.path?.length && ref.path[ref.path.length - 1]!.arrow === '->' ? `(${sql})::text` : sql;
}

export function keyOf(ref: ColumnRef): string {
  return ref.path?.length ? ref.path[ref.path.length - 1]!.key : ref.column;
}

export function condition(b: Builder, relation: Relation, alias: string, f: RestFilter): string {
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
export function ruleCondition(b: Builder, relation: Relation, alias: string, f: Filter): string {
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
