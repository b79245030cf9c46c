/**
 * PostgREST 12's query string as a RestRead (adapters/rest-plan.ts), strictly: an unknown
 * operator, modifier or malformed item is PGRST100 (400), never a different query.
 *   select=*,author:users!fk!inner(name,...),tags(*),count(),total:price.sum(),id::text,data->a->>b
 *   col=op.value  col=not.op.value  or=(…)  and=(…)  not.or=(…)
 *   <embed>.col=…  <embed>.or=(…)  <embed>.order=…  <embed>.limit=…  <embed>.offset=…
 *   order=col.desc.nullslast,author(name).asc  limit  offset
 */
import type { Aggregate, ColumnRef, RestFilter, RestNode, RestOp, RestOrder, SelectItem } from '../../adapters/index.js';
import { MoboError } from '../../runtime/index.js';
import { splitTopLevel } from './grammar.js';

export interface PgrstQuery {
  root: RestNode;
  /** Column names of `columns=` (insert/upsert): checked, not used by reads. */
  columns?: string[];
  onConflict?: string[];
}

const OPS = new Set<RestOp>(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'match', 'imatch', 'in', 'is', 'isdistinct', 'cs', 'cd', 'ov', 'sl', 'sr', 'nxl', 'nxr', 'adj', 'fts', 'plfts', 'phfts', 'wfts']);
const QUANTIFIABLE = new Set<RestOp>(['eq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'match', 'imatch']);
const AGGREGATES = new Set<Aggregate>(['count', 'sum', 'avg', 'max', 'min']);
const MAX_DEPTH = 16;
const IGNORED = new Set(['columns', 'on_conflict']);

/** The Prefer header's `key=value` items (postgrest-js sends several, comma-joined). */
export function preferences(req: { headers: Record<string, string | undefined> }): Map<string, string> {
  const prefs = new Map<string, string>();
  for (const part of (req.headers['prefer'] ?? '').split(',')) {
    const [k, v] = part.trim().split('=');
    if (k) prefs.set(k, v ?? '');
  }
  return prefs;
}

/** PostgREST's parse failure: status 400, code PGRST100 (the /rest/v1 dialect writes it so). */
export function parseFault(message: string, details?: string): MoboError {
  return new MoboError('DS_QUERY_INVALID', message, { details: { postgrest: { code: 'PGRST100', status: 400, details: details ?? null, hint: null } } });
}

export function parsePgrstQuery(params: URLSearchParams): PgrstQuery {
  const root: RestNode = { select: [{ kind: 'star' }], where: [] };
  const query: PgrstQuery = { root };
  const late: Array<[string, string]> = [];
  for (const [key, value] of params) {
    if (key === 'select') root.select = parseSelect(value, 0);
    else if (key === 'columns') query.columns = value.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
    else if (key === 'on_conflict') query.onConflict = value.split(',').map((c) => c.trim());
    else if (!IGNORED.has(key)) late.push([key, value]);
  }
  // Embedded parameters name resources of the select tree, so they are read once it is known.
  for (const [key, value] of late) {
    const { node, last } = target(root, key);
    switch (last) {
      case 'order':
        node.order = [...(node.order ?? []), ...parseOrder(value)];
        break;
      case 'limit':
        node.limit = whole(value, 'limit');
        break;
      case 'offset':
        node.offset = whole(value, 'offset');
        break;
      case 'or':
      case 'and':
      case 'not.or':
      case 'not.and':
        node.where.push({ kind: 'logic', logic: last.endsWith('or') ? 'or' : 'and', negate: last.startsWith('not.'), filters: parseGroup(value, 0) });
        break;
      default:
        node.where.push(parseFilter(parseRef(last), value));
    }
  }
  return query;
}

/** `a.b.col` → the node of embed `a`, then `b`, and `col`; a prefix naming no embed is PGRST100. */
function target(root: RestNode, key: string): { node: RestNode; last: string } {
  const logic = /(^|\.)(not\.(or|and))$/.exec(key);
  const arrow = key.indexOf('->');
  const head = logic ? key.slice(0, logic.index) : arrow >= 0 ? key.slice(0, arrow) : key;
  const tail = logic ? logic[2]! : arrow >= 0 ? key.slice(arrow) : '';
  const parts = head.split('.');
  let last = (parts.pop() ?? '') + tail;
  if (logic && head === '') last = logic[2]!;
  let node = root;
  for (const name of logic ? head.split('.').filter(Boolean) : parts) {
    const embed = node.select.find((i): i is Extract<SelectItem, { kind: 'embed' }> => i.kind === 'embed' && (i.alias ?? i.name) === name);
    if (!embed) throw parseFault(`"${name}" in "${key}" is not an embedded resource of the select`);
    node = embed.node;
  }
  if (last.length === 0) throw parseFault(`"${key}" names no column`);
  return { node, last };
}

export function parseRef(raw: string): ColumnRef {
  const parts = raw.split(/(->>|->)/);
  const column = unquote(parts[0]!.trim());
  if (column.length === 0 || column.length > 128) throw parseFault(`"${raw}" is not a column name`);
  if (parts.length === 1) return { column };
  const path: NonNullable<ColumnRef['path']> = [];
  for (let i = 1; i < parts.length; i += 2) {
    const key = unquote(parts[i + 1] ?? '');
    if (key.length === 0) throw parseFault(`"${raw}" has an empty JSON path step`);
    path.push({ arrow: parts[i] as '->' | '->>', key });
  }
  return { column, path };
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

function parseSelect(raw: string, depth: number): SelectItem[] {
  if (depth > MAX_DEPTH) throw parseFault('The select is nested too deeply');
  const items = splitTopLevel(raw).map((item) => parseItem(item, depth));
  return items.length === 0 ? [{ kind: 'star' }] : items;
}

function parseItem(raw: string, depth: number): SelectItem {
  if (raw === '*') return { kind: 'star' };
  // In an embedded resource a bare `count` is the aggregate: `messages(count)`.
  if (raw === 'count' && depth > 0) return { kind: 'count' };
  const spread = raw.startsWith('...');
  const text = spread ? raw.slice(3) : raw;
  const open = text.indexOf('(');
  if (open > 0 && text.endsWith(')') && !/\.\w+\(\)(::\w+)?$/.test(text) && text !== 'count()' && !/:count\(\)$/.test(text)) {
    let head = text.slice(0, open);
    let alias: string | undefined;
    const colon = /^([^:!]+):(?!:)(.+)$/.exec(head);
    if (colon) [alias, head] = [colon[1]!.trim(), colon[2]!.trim()];
    const [name, ...marks] = head.split('!');
    let hint: string | undefined;
    let join: 'inner' | 'left' | undefined;
    for (const m of marks) {
      if (m === 'inner' || m === 'left') join = m;
      else if (m.length > 0 && hint === undefined) hint = m;
      else throw parseFault(`"${raw}" has an unexpected "!${m}"`);
    }
    if (!name) throw parseFault(`"${raw}" names no resource`);
    // `sum()` with no column before it is no embed: PostgREST looks for a column of that name.
    if (AGGREGATES.has(name.trim() as Aggregate) && text.slice(open + 1, -1).trim() === '' && marks.length === 0) return { kind: 'column', ref: { column: name.trim() } };
    // `users()` selects nothing of it: the embed then only filters (with !inner) and shows no key.
    const inner = text.slice(open + 1, -1);
    const item: SelectItem = { kind: 'embed', name: name.trim(), spread, node: { select: inner.trim() === '' ? [] : parseSelect(inner, depth + 1), where: [] } };
    if (alias) item.alias = alias;
    if (hint) item.hint = hint;
    if (join) item.join = join;
    return item;
  }
  if (spread) throw parseFault(`"${raw}": only an embedded resource can be spread`);
  let rest = text;
  let alias: string | undefined;
  const colon = /^([^:"]+):(?!:)(.+)$/.exec(rest);
  if (colon) [alias, rest] = [colon[1]!.trim(), colon[2]!.trim()];
  let cast: string | undefined;
  const castAt = rest.lastIndexOf('::');
  if (castAt > 0) [rest, cast] = [rest.slice(0, castAt), rest.slice(castAt + 2)];
  if (rest === 'count()') return alias ? { kind: 'count', alias } : { kind: 'count' };
  let aggregate: Aggregate | undefined;
  const agg = /^(.+)\.(\w+)\(\)$/.exec(rest);
  if (agg) {
    if (!AGGREGATES.has(agg[2] as Aggregate)) throw parseFault(`"${agg[2]}" is not an aggregate (count, sum, avg, max, min)`);
    aggregate = agg[2] as Aggregate;
    rest = agg[1]!;
  }
  if (/[()]/.test(rest)) throw parseFault(`"${raw}" is not a column, an aggregate or an embedded resource`);
  const item: SelectItem = { kind: 'column', ref: parseRef(rest) };
  if (alias) item.alias = alias;
  if (cast) item.cast = cast;
  if (aggregate) item.aggregate = aggregate;
  return item;
}

/** `op.value`, `not.op.value`, `fts(english).word`, `like(any).{a*,b*}`, `in.(1,2)`. */
export function parseFilter(ref: ColumnRef, raw: string): RestFilter {
  let rest = raw;
  let negate = false;
  if (rest.startsWith('not.')) [negate, rest] = [true, rest.slice(4)];
  const m = /^(\w+)(?:\(([\w-]+)\))?\.([\s\S]*)$/.exec(rest);
  if (!m || !OPS.has(m[1] as RestOp)) throw parseFault(`"${raw.slice(0, 60)}" is not operator.value`, `Unknown operator in ${ref.column}=${raw.slice(0, 60)}; operators: ${[...OPS].join(', ')}`);
  const op = m[1] as RestOp;
  const modifier = m[2];
  const value = m[3]!;
  const filter: Extract<RestFilter, { kind: 'op' }> = { kind: 'op', ref, op, negate, value };
  if (modifier !== undefined) {
    if (op.endsWith('fts')) filter.language = modifier;
    else if ((modifier === 'all' || modifier === 'any') && QUANTIFIABLE.has(op)) {
      filter.quantifier = modifier;
      if (!value.startsWith('{') || !value.endsWith('}')) throw parseFault(`${op}(${modifier}) takes a list: {a,b}`);
      filter.values = splitTopLevel(value.slice(1, -1)).map(unquote);
    } else throw parseFault(`"${op}(${modifier})" is not a known modifier`);
  }
  if (op === 'in') {
    if (!value.startsWith('(') || !value.endsWith(')')) throw parseFault('in. takes a list: in.(1,2,3)');
    filter.values = splitTopLevel(value.slice(1, -1)).map(unquote);
  }
  return filter;
}

function parseGroup(raw: string, depth: number): RestFilter[] {
  if (depth > MAX_DEPTH) throw parseFault('Filters are nested too deeply');
  if (!raw.startsWith('(') || !raw.endsWith(')')) throw parseFault('A logic group is written (a.eq.1,b.eq.2)');
  return splitTopLevel(raw.slice(1, -1)).map((part) => {
    const logic = /^(not\.)?(and|or)\(/.exec(part);
    if (logic) return { kind: 'logic', logic: logic[2] as 'and' | 'or', negate: logic[1] !== undefined, filters: parseGroup(part.slice(logic[0].length - 1), depth + 1) };
    const m = /^((?:[^.]|->)+?)\.((?:not\.)?\w+(?:\([\w-]+\))?\.[\s\S]*)$/.exec(part);
    if (!m) throw parseFault(`"${part}" is not column.operator.value`);
    return parseFilter(parseRef(m[1]!), m[2]!);
  });
}

function parseOrder(raw: string): RestOrder[] {
  return splitTopLevel(raw).map((part) => {
    const embedded = /^([^(]+)\(([^)]+)\)(.*)$/.exec(part);
    const [head, ...mods] = (embedded ? `${embedded[2]}${embedded[3]}` : part).split('.');
    const key: RestOrder = { ref: parseRef(head!), direction: 'asc' };
    if (embedded) key.embed = embedded[1]!;
    for (const m of mods) {
      if (m === 'asc' || m === 'desc') key.direction = m;
      else if (m === 'nullsfirst' || m === 'nullslast') key.nulls = m === 'nullsfirst' ? 'first' : 'last';
      else throw parseFault(`Unknown order modifier "${m}"`);
    }
    return key;
  });
}

function whole(raw: string, name: string): number {
  if (!/^\d{1,9}$/.test(raw)) throw parseFault(`${name} must be a whole number`);
  return Number(raw);
}
