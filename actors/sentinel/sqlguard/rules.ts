/**
 * SQLGuard's fast path: the cases that need no model.
 *
 * - `plain`: letters, digits, spaces and harmless punctuation, and no SQL word at all.
 *   Almost every real value (ids, names, numbers, dates, emails) ends here in a few
 *   hundred nanoseconds, and the model never runs for it.
 * - `certain`: token patterns that only SQL injection produces (UNION SELECT, a timing
 *   function with a number, a stacked statement, a quote broken out of into a tautology
 *   or a comment). They score 1 without the model.
 *
 * Every rule is checked against all the benign lines of the shared data by the training
 * script (it must hit none) and its hits are reported per block.
 */
import { tokenContexts, type TokenContexts } from './features.js';
import { KEYWORDS, type Token } from './tokenizer.js';

/** Characters of a plain value; `--` and `/*` are checked apart, since `-` and `/` alone are harmless. */
const PLAIN = /^[\p{L}\p{M}\p{N} .,_@:+\-/]*$/u;
const HEX_BLOB = /0x[0-9a-f]{8,}/i;
const WORDS = /[a-z_]+/g;
const SQL_WORDS = new Set([...KEYWORDS, 'union', 'or', 'and', 'xor', 'sleep', 'benchmark', 'pg_sleep', 'char', 'concat', 'version', 'user', 'database']);

export function isPlain(value: string): boolean {
  if (!PLAIN.test(value) || value.includes('--') || value.includes('/*') || value.includes('@@') || HEX_BLOB.test(value)) return false;
  const words = value.toLowerCase().match(WORDS);
  if (words) for (const w of words) if (SQL_WORDS.has(w)) return false;
  return true;
}

const TIMING = new Set(['sleep', 'pg_sleep', 'benchmark']);
const DANGEROUS_CALLS = new Set(['extractvalue', 'updatexml', 'load_file', 'xp_cmdshell', 'utl_inaddr', 'dbms_pipe']);
/** A statement after `;`, recognised by its first two words. */
const STACKED: Record<string, (next: Token | undefined) => boolean> = {
  drop: (n) => n?.text === 'table' || n?.text === 'database',
  delete: (n) => n?.text === 'from',
  insert: (n) => n?.text === 'into',
  select: (n) => n !== undefined && (n.cls === 'n' || n.cls === 'v' || n.cls === 'f' || n.text === '*'),
  shutdown: () => true,
  declare: (n) => n?.cls === 'v',
  exec: (n) => n !== undefined && (n.text.startsWith('xp_') || n.text === 'master' || n.text.startsWith('sp_')),
  waitfor: (n) => n?.text === 'delay' || n?.text === 'time',
};

/** Words after `alter table <name>` that make it a schema change. */
const ALTERATIONS = new Set(['add', 'drop', 'change', 'modify', 'rename']);

/** `x = x` with the same operand on both sides (`1=1`, `a=a`, `'a'='a'`) after a logic operator. */
function tautologyAt(t: readonly Token[], i: number): boolean {
  while (t[i]?.cls === '(') i++;
  const [x, op, y] = [t[i], t[i + 1], t[i + 2]];
  return x !== undefined && op?.text === '=' && y !== undefined && (x.cls === 'n' || x.cls === 'b' || x.cls === 's') && x.cls === y.cls && x.text === y.text;
}

/** The name of the first certain pattern in these tokens, if any. */
function certainIn(t: readonly Token[]): string | undefined {
  for (let i = 0; i < t.length; i++) {
    const a = t[i]!;
    const b = t[i + 1];
    const c = t[i + 2];
    if (a.cls === 'U' && (b?.text === 'select' || ((b?.text === 'all' || b?.text === 'distinct') && c?.text === 'select'))) return 'union-select';
    if (a.cls === 'f' && TIMING.has(a.text) && b?.cls === '(' && c?.cls === 'n') return 'timing-call';
    if (a.cls === 'f' && DANGEROUS_CALLS.has(a.text)) return 'dangerous-call';
    if (a.text === 'waitfor' && b?.text === 'delay') return 'waitfor-delay';
    if (a.cls === ';' && b && Object.hasOwn(STACKED, b.text) && STACKED[b.text]!(c)) return 'stacked-statement';
    if (a.text === 'into' && (b?.text === 'outfile' || b?.text === 'dumpfile')) return 'into-outfile';
    if (a.cls === 'v' && a.text === '@@version') return 'version-probe';
    if (a.text === 'information_schema' && b?.cls === '.') return 'information-schema';
    if (a.text === 'alter' && b?.text === 'table' && t.slice(i + 3, i + 5).some((n) => ALTERATIONS.has(n.text))) return 'schema-change';
    if (a.text === 'create' && b?.text === 'table' && t[i + 3]?.cls === '(') return 'schema-change';
    if (a.cls === '&' && tautologyAt(t, i + 1)) return 'tautology';
  }
  return undefined;
}

/** Breaking out of a quoted literal: `' or 1=1`, `' or 'a'='a`, `') or ('x'='x`. */
function breakout(t: readonly Token[]): string | undefined {
  let i = 1;
  while (t[i]?.cls === ')') i++;
  const next = t[i];
  if (!next) return undefined;
  if (next.cls !== '&') return undefined;
  while (t[i + 1]?.cls === '(') i++;
  const [x, op, y] = [t[i + 1], t[i + 2], t[i + 3]];
  if (x && op && y && (x.cls === 's' || x.cls === 'n') && op.cls === 'o' && (y.cls === 's' || y.cls === 'n' || y.cls === 'q')) return 'quote-tautology';
  return undefined;
}

/** The certain pattern `value` shows, read as it is and as if it followed a quote (`contexts`: its tokens, when already made). */
export function certainPattern(value: string, contexts: TokenContexts = tokenContexts(value)): string | undefined {
  const found = certainIn(contexts.plain);
  if (found) return found;
  for (const [quote, tokens] of [["'", contexts.single], ['"', contexts.double]] as const) {
    if (!value.includes(quote)) continue;
    if (tokens[0]?.cls !== 's') continue;
    const hit = breakout(tokens) ?? certainIn(tokens);
    if (hit) return hit;
  }
  return undefined;
}
