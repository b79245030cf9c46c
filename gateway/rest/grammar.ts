import type { ComparisonOp, Filter, Scalar, SortKey } from '../../adapters/index.js';
import { MoboError } from '../../runtime/index.js';

export interface ParsedQuery {
  columns?: string[];
  filters: Filter[];
  order?: SortKey[];
  limit?: number;
  offset?: number;
  /** Free-text search over the table's text columns (simple spelling `q=`). */
  search?: string;
}

const COMPARISON = new Set<ComparisonOp>(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike']);
const OPERATOR = /^(not\.)?(eq|neq|gt|gte|lt|lte|like|ilike|in|is)\./;
const RESERVED = new Set(['select', 'fields', 'order', 'sort', 'limit', 'offset', 'page', 'q', 'or', 'and', 'columns', 'on_conflict']);
const MAX_DEPTH = 16;
const MAX_PAGE_SIZE = 1_000;

export function invalid(message: string, details?: Record<string, unknown>): MoboError {
  return new MoboError('DS_QUERY_INVALID', message, details ? { details } : undefined);
}

export function parseQuery(params: URLSearchParams): ParsedQuery {
  const parsed: ParsedQuery = { filters: [] };
  let page: number | undefined;
  for (const [key, value] of params) {
    switch (key) {
      case 'select':
      case 'fields':
        parsed.columns = parseColumns(value);
        break;
      case 'order':
        parsed.order = [...(parsed.order ?? []), ...parseOrder(value, '.')];
        break;
      case 'sort':
        parsed.order = [...(parsed.order ?? []), ...parseOrder(value, ':')];
        break;
      case 'limit':
        parsed.limit = parseCount(value, 'limit');
        break;
      case 'offset':
        parsed.offset = parseCount(value, 'offset');
        break;
      case 'page':
        page = parseCount(value, 'page');
        if (page < 1) throw invalid('page starts at 1');
        break;
      case 'q':
        if (value.length > 0) parsed.search = value;
        break;
      case 'or':
      case 'and':
        parsed.filters.push({ op: key, filters: parseGroup(value, 0) });
        break;
      case 'not.or':
      case 'not.and':
        parsed.filters.push({ op: 'not', filter: { op: key === 'not.or' ? 'or' : 'and', filters: parseGroup(value, 0) } });
        break;
      case 'columns':
      case 'on_conflict':
        break; // PostgREST insert options: the body decides the columns.
      default:
        if (RESERVED.has(key)) break;
        parsed.filters.push(parseFilter(key, value));
    }
  }
  if (page !== undefined) {
    const size = parsed.limit ?? 50;
    parsed.limit = size;
    parsed.offset = (page - 1) * size;
  }
  if (parsed.limit !== undefined && parsed.limit > MAX_PAGE_SIZE) throw invalid(`limit is at most ${MAX_PAGE_SIZE}`, { max: MAX_PAGE_SIZE });
  return parsed;
}

/** `col=eq.5`, `col=not.in.(1,2)`, `col=is.null`, or simple `col=5`. */
export function parseFilter(column: string, raw: string): Filter {
  checkColumn(column);
  if (!OPERATOR.test(raw)) return { op: 'eq', column, value: raw };
  let rest = raw;
  let negate = false;
  if (rest.startsWith('not.')) {
    negate = true;
    rest = rest.slice(4);
  }
  const dot = rest.indexOf('.');
  const op = rest.slice(0, dot);
  const operand = rest.slice(dot + 1);
  const filter = operatorFilter(column, op, operand);
  return negate ? { op: 'not', filter } : filter;
}

function operatorFilter(column: string, op: string, operand: string): Filter {
  if (op === 'in') return { op: 'in', column, values: parseList(operand) };
  if (op === 'is') {
    const lowered = operand.toLowerCase();
    if (lowered === 'null') return { op: 'is', column, value: null };
    if (lowered === 'true' || lowered === 'false') return { op: 'is', column, value: lowered === 'true' };
    throw invalid(`is. takes null, true or false, not "${operand}"`, { column });
  }
  if (COMPARISON.has(op as ComparisonOp)) return { op: op as ComparisonOp, column, value: operand };
  throw invalid(`Unknown operator "${op}"`, { column });
}

/** `(a.eq.1,b.is.null,and(c.gt.2,d.lt.3),not.e.eq.4)` */
function parseGroup(raw: string, depth: number): Filter[] {
  if (depth > MAX_DEPTH) throw invalid('Filters are nested too deeply');
  if (!raw.startsWith('(') || !raw.endsWith(')')) throw invalid('A logic group is written (a.eq.1,b.eq.2)');
  return splitTopLevel(raw.slice(1, -1)).map((part) => {
    for (const logic of ['and', 'or', 'not.and', 'not.or'] as const) {
      if (part.startsWith(`${logic}(`)) {
        const inner: Filter = { op: logic.endsWith('and') ? 'and' : 'or', filters: parseGroup(part.slice(logic.length), depth + 1) };
        return logic.startsWith('not.') ? { op: 'not', filter: inner } : inner;
      }
    }
    const firstDot = part.indexOf('.');
    if (firstDot <= 0) throw invalid(`"${part}" is not column.operator.value`);
    const column = part.slice(0, firstDot);
    const expression = part.slice(firstDot + 1);
    if (!OPERATOR.test(expression)) throw invalid(`"${part}" is not column.operator.value`);
    return parseFilter(column, expression);
  });
}

/** Splits on commas outside parentheses and double quotes. */
export function splitTopLevel(raw: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '\\' && quoted && i + 1 < raw.length) {
      current += raw[++i];
      continue;
    }
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') depth--;
    if (depth < 0) throw invalid('Unbalanced parentheses');
    if (ch === ',' && depth === 0 && !quoted) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  if (depth !== 0 || quoted) throw invalid('Unbalanced parentheses or quotes');
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** `(1,2,"a,b")` → ['1','2','a,b'] */
function parseList(raw: string): Scalar[] {
  if (!raw.startsWith('(') || !raw.endsWith(')')) throw invalid('in. takes a list: in.(1,2,3)');
  return splitTopLevel(raw.slice(1, -1)).map(unquote);
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

function parseColumns(raw: string): string[] | undefined {
  const columns = raw
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
  if (columns.length === 0 || (columns.length === 1 && columns[0] === '*')) return undefined;
  for (const c of columns) {
    if (c.includes('(') || c.includes(':')) throw invalid('Embedded resources and renamed columns are not supported; list plain column names', { column: c });
    checkColumn(c);
  }
  return columns;
}

/** PostgREST `col.desc.nullslast,other` or simple `col:desc,other`. */
function parseOrder(raw: string, separator: '.' | ':'): SortKey[] {
  return raw
    .split(',')
    .filter((part) => part.length > 0)
    .map((part) => {
      const [column, ...modifiers] = part.split(separator);
      checkColumn(column ?? '');
      const key: SortKey = { column: column!, direction: 'asc' };
      for (const m of modifiers) {
        if (m === 'asc' || m === 'desc') key.direction = m;
        else if (m === 'nullsfirst' || m === 'nullslast') key.nulls = m === 'nullsfirst' ? 'first' : 'last';
        else throw invalid(`Unknown sort modifier "${m}"`, { column });
      }
      return key;
    });
}

function parseCount(raw: string, name: string): number {
  if (!/^\d{1,9}$/.test(raw)) throw invalid(`${name} must be a whole number`, { [name]: raw.slice(0, 20) });
  return Number(raw);
}

function checkColumn(column: string): void {
  if (column.length === 0 || column.length > 128) throw invalid('A column name is missing or too long');
}

/** A `Range: 0-9` request header (PostgREST pagination) as limit/offset. */
export function parseRange(header: string | undefined): { limit?: number; offset: number } | undefined {
  if (!header) return undefined;
  const match = /^(?:items=)?(\d{1,9})-(\d{0,9})$/.exec(header.trim());
  if (!match) throw invalid('Range must look like 0-9');
  const offset = Number(match[1]);
  if (match[2] === '') return { offset };
  const last = Number(match[2]);
  if (last < offset) throw invalid('Range end is before its start');
  const limit = last - offset + 1;
  if (limit > MAX_PAGE_SIZE) throw invalid(`A Range holds at most ${MAX_PAGE_SIZE} rows`, { max: MAX_PAGE_SIZE });
  return { offset, limit };
}
