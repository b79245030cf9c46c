/**
 * The values a client sent, as SQLGuard inspects them: path segments, query values (a
 * PostgREST filter `age=gte.18` or `or=(a.eq.1,b.in.(x,y))` gives its operands, not its
 * operators), the string leaves of a JSON body (or the fields of a form body), and the
 * configured headers (credentials never reach a hook). Field names listed in `skipFields` (passwords) are never read.
 */

/** What Sentinel reads of a request (the edge's RequestView has this shape; so does an MQTT publish). */
export interface InspectedRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  header(name: string): string | undefined;
  /** The body parsed (JSON, or a form as an object); undefined when empty or neither. */
  body(): unknown;
}

export interface Inspected {
  /** Where the value came from: `query.name`, `body.user.email`, `path.id`, `header.user-agent`. */
  field: string;
  value: string;
}

export interface ValueOptions {
  headers: readonly string[];
  skipFields: ReadonlySet<string>;
}

/** Values inspected per request at most; a body with more strings is read up to here. */
const MAX_VALUES = 256;
const MAX_DEPTH = 16;
/** `eq.` `not.in.` …: a PostgREST operator in front of an operand. */
const OPERATOR = /^(?:not\.)?(?:eq|neq|gt|gte|lt|lte|like|ilike|match|imatch|in|is|isdistinct|fts|plfts|phfts|wfts|cs|cd|ov|sl|sr|nxr|nxl|adj)(?:\([a-z_]+\))?\./;
const LOGIC_KEYS = new Set(['or', 'and', 'not.or', 'not.and']);

/** Splits on commas outside parentheses and double quotes. */
function topLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
    else if (!quoted && depth === 0 && c === ',') {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** The operands of one filter value: `gte.18` → 18, `in.(a,b)` → a, b; anything else as it is. */
function operands(value: string, push: (v: string) => void): void {
  const m = OPERATOR.exec(value);
  if (!m) return push(value);
  const rest = value.slice(m[0].length);
  if (rest.startsWith('(') && rest.endsWith(')')) for (const item of topLevel(rest.slice(1, -1))) push(item.replace(/^"(.*)"$/, '$1'));
  else push(rest);
}

/** `(a.eq.1,b.in.(x,y),and(c.gt.2))` → 1, x, y, 2. */
function logicOperands(value: string, push: (v: string) => void): void {
  const inner = value.startsWith('(') && value.endsWith(')') ? value.slice(1, -1) : value;
  for (const item of topLevel(inner)) {
    const nested = /^(?:not\.)?(?:or|and)(\(.*\))$/.exec(item);
    if (nested) logicOperands(nested[1]!, push);
    else {
      const dot = item.indexOf('.');
      operands(dot < 0 ? item : item.slice(dot + 1), push);
    }
  }
}

function jsonLeaves(node: unknown, field: string, depth: number, skip: ReadonlySet<string>, out: Inspected[]): void {
  if (out.length >= MAX_VALUES || depth > MAX_DEPTH) return;
  if (typeof node === 'string') out.push({ field, value: node });
  else if (Array.isArray(node)) node.forEach((item, i) => jsonLeaves(item, `${field}[${i}]`, depth + 1, skip, out));
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) if (!skip.has(key)) jsonLeaves(value, `${field}.${key}`, depth + 1, skip, out);
  }
}

export function requestValues(req: InspectedRequest, opts: ValueOptions): Inspected[] {
  const out: Inspected[] = [];
  for (const [name, value] of Object.entries(req.params)) out.push({ field: `path.${name}`, value });
  for (const [key, value] of req.query) {
    if (out.length >= MAX_VALUES) break;
    const push = (v: string) => void out.push({ field: `query.${key}`, value: v });
    if (LOGIC_KEYS.has(key)) logicOperands(value, push);
    else operands(value, push);
  }
  jsonLeaves(req.body(), 'body', 0, opts.skipFields, out);
  for (const name of opts.headers) {
    const value = req.header(name);
    if (value !== undefined) out.push({ field: `header.${name}`, value });
  }
  return out;
}
