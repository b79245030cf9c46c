/**
 * LIKE patterns, one meaning everywhere: `%` (or `*`, as in PostgREST) matches any run of
 * characters, `_` exactly one, and `\` makes the next character literal. `normalizeLike` turns
 * a user pattern into that form (a trailing lone `\` becomes a literal backslash), and each
 * backend translates from there; the pattern is always bound as a parameter.
 */
export function normalizeLike(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const next = pattern[i + 1];
      out += next === undefined ? '\\\\' : `\\${next}`;
      i++;
    } else {
      out += ch === '*' ? '%' : ch;
    }
  }
  return out;
}

/** Walks a normalized pattern: `any` for %, `one` for _, `literal` for everything else. */
export function* likeTokens(pattern: string): Generator<{ kind: 'any' | 'one' | 'literal'; text: string }> {
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) {
      i++;
      yield { kind: 'literal', text: pattern[i]! };
    } else if (ch === '%') yield { kind: 'any', text: ch };
    else if (ch === '_') yield { kind: 'one', text: ch };
    else yield { kind: 'literal', text: ch };
  }
}

const regexCache = new Map<string, RegExp>();
const REGEX_CACHE_MAX = 256;

/** A normalized LIKE pattern as an anchored RegExp (for in-memory filtering and MongoDB). */
export function likeToRegExp(pattern: string, insensitive: boolean): RegExp {
  const key = `${insensitive ? 'i' : 's'}:${pattern}`;
  let re = regexCache.get(key);
  if (!re) {
    re = new RegExp(`^${likeToRegexSource(pattern)}$`, insensitive ? 'isu' : 'su');
    if (regexCache.size >= REGEX_CACHE_MAX) regexCache.clear();
    regexCache.set(key, re);
  }
  return re;
}

export function likeToRegexSource(pattern: string): string {
  let source = '';
  for (const token of likeTokens(pattern)) {
    if (token.kind === 'any') source += '.*';
    else if (token.kind === 'one') source += '.';
    else source += token.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return source;
}
