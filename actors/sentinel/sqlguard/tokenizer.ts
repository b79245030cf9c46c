/**
 * A small SQL tokenizer in the spirit of libinjection: it reads a value the way a SQL
 * parser would if the value were pasted into a query, and names each token by class.
 * The classes (one character each) make a fingerprint such as `s&sos` for `' or 'a'='a`.
 * It never throws and runs in one pass; values are capped at MAX_CHARS by the caller.
 *
 *   s string   n number   k keyword   U union   & logic (and/or/xor/&&/||)   o operator
 *   f function (a word followed by `(`)   v variable (@x, @@x)   b bareword
 *   ( ) , ; .  as themselves   c comment (--, #, /* … *\/)   q an unterminated quote
 */
export type TokenClass = 's' | 'n' | 'k' | 'U' | '&' | 'o' | 'f' | 'v' | 'b' | '(' | ')' | ',' | ';' | '.' | 'c' | 'q';

export interface Token {
  cls: TokenClass;
  /** Lower-cased text of words and operators; strings and comments keep only their class. */
  text: string;
}

/** Words a SQL parser treats as keywords; enough to tell SQL from prose, not a full grammar. */
export const KEYWORDS: ReadonlySet<string> = new Set(
  (
    'select from where insert into values update set delete drop table create alter truncate exec execute declare ' +
    'having group order by limit offset procedure analyse case when then else end cast convert as null is not in ' +
    'like rlike regexp between exists all any distinct top waitfor delay shutdown outfile dumpfile load_file ' +
    'information_schema sysobjects syscolumns mysql pg_catalog sqlite_master begin commit rollback grant revoke ' +
    'join inner outer left right cross on using asc desc collate escape sounds div mod true false into'
  ).split(' '),
);

const LOGIC = new Set(['and', 'or', 'xor', '&&', '||']);
const OPERATOR_WORDS = new Set(['like', 'rlike', 'regexp', 'is', 'not', 'in', 'between', 'div', 'mod', 'sounds']);
const OPERATOR_CHARS = '=<>!+-*/%^|&~:';
/** Membership of OPERATOR_CHARS by char code (the tokenizer's inner loop asks it per character). */
const IS_OPERATOR = new Uint8Array(128);
for (const ch of OPERATOR_CHARS) IS_OPERATOR[ch.charCodeAt(0)] = 1;
const isOperator = (c: number): boolean => c < 128 && IS_OPERATOR[c] === 1;

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c > 127;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12 || c === 160;
}

/** Tokenizes `value` as SQL. */
export function tokenize(value: string): Token[] {
  const out: Token[] = [];
  const n = value.length;
  let i = 0;
  while (i < n) {
    const c = value.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const ch = value[i]!;
    // comments
    if ((ch === '-' && value[i + 1] === '-') || ch === '#') {
      out.push({ cls: 'c', text: ch === '#' ? '#' : '--' });
      break; // the rest of the line is comment
    }
    if (ch === '/' && value[i + 1] === '*') {
      const close = value.indexOf('*/', i + 2);
      out.push({ cls: 'c', text: '/*' });
      if (close < 0) break;
      i = close + 2;
      continue;
    }
    // strings: ' " ` ; a doubled quote inside is an escaped quote
    if (ch === "'" || ch === '"' || ch === '`') {
      let j = i + 1;
      let closed = false;
      while (j < n) {
        if (value[j] === '\\') {
          j += 2;
          continue;
        }
        if (value[j] === ch) {
          if (value[j + 1] === ch) {
            j += 2;
            continue;
          }
          closed = true;
          break;
        }
        j++;
      }
      out.push({ cls: closed ? (ch === '`' ? 'b' : 's') : 'q', text: ch });
      i = closed ? j + 1 : n;
      continue;
    }
    if (ch === '@') {
      let j = i + 1;
      if (value[j] === '@') j++;
      while (j < n && isWordChar(value.charCodeAt(j))) j++;
      out.push({ cls: 'v', text: value.slice(i, j).toLowerCase() });
      i = Math.max(j, i + 1);
      continue;
    }
    if (isDigit(c) || (ch === '.' && isDigit(value.charCodeAt(i + 1)))) {
      let j = i;
      if (ch === '0' && (value[i + 1] === 'x' || value[i + 1] === 'X')) j += 2;
      while (j < n && (isWordChar(value.charCodeAt(j)) || value[j] === '.')) j++;
      out.push({ cls: 'n', text: '0' });
      i = j;
      continue;
    }
    if (isWordChar(c)) {
      let j = i;
      while (j < n && isWordChar(value.charCodeAt(j))) j++;
      const word = value.slice(i, j).toLowerCase();
      let k = j;
      while (k < n && isSpace(value.charCodeAt(k))) k++;
      let cls: TokenClass;
      if (word === 'union') cls = 'U';
      else if (LOGIC.has(word)) cls = '&';
      else if (OPERATOR_WORDS.has(word)) cls = 'o';
      else if (value[k] === '(') cls = 'f';
      else if (KEYWORDS.has(word)) cls = 'k';
      else cls = 'b';
      out.push({ cls, text: word });
      i = j;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',' || ch === ';' || ch === '.') {
      out.push({ cls: ch, text: ch });
      i++;
      continue;
    }
    if (isOperator(c)) {
      let j = i + 1;
      while (j < n && j < i + 3 && isOperator(value.charCodeAt(j)) && !(value.charCodeAt(j) === 45 && value.charCodeAt(j + 1) === 45)) j++;
      const op = value.slice(i, j);
      out.push({ cls: op === '&&' || op === '||' ? '&' : 'o', text: op });
      i = j;
      continue;
    }
    // any other punctuation or symbol: skipped, like whitespace, but it splits words
    i++;
  }
  return out;
}

/** The class string of the first `max` tokens: the libinjection-style fingerprint. */
export function fingerprint(tokens: readonly Token[], max = 8): string {
  let s = '';
  for (let i = 0; i < tokens.length && i < max; i++) s += tokens[i]!.cls;
  return s;
}
