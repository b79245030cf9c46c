/**
 * A script cut into its statements at top-level semicolons: not inside quotes ('…', "…", `…`),
 * comments (-- …, # … on MySQL, /* … *\/) or Postgres dollar quotes ($tag$ … $tag$). Statements
 * holding only comments are left out. (MySQL's client-side DELIMITER is not SQL and not taken.)
 */
export function splitStatements(script: string, dialect: 'postgres' | 'sqlite' | 'mysql'): string[] {
  const statements: string[] = [];
  let start = 0;
  let code = false;
  let i = 0;
  const push = (end: number): void => {
    const text = script.slice(start, end).trim();
    if (code && text) statements.push(text);
    start = end + 1;
    code = false;
  };
  while (i < script.length) {
    const c = script[i]!;
    const next = script[i + 1];
    if (c === '-' && next === '-') i = lineEnd(script, i);
    else if (c === '#' && dialect === 'mysql') i = lineEnd(script, i);
    else if (c === '/' && next === '*') i = blockEnd(script, i);
    else if (c === "'" || c === '"' || c === '`') {
      i = quoteEnd(script, i, c, dialect === 'mysql' && c !== '`');
      code = true;
    } else if (c === '$' && dialect === 'postgres' && dollarTag(script, i)) {
      const tag = dollarTag(script, i)!;
      const close = script.indexOf(tag, i + tag.length);
      i = close < 0 ? script.length : close + tag.length;
      code = true;
    } else {
      if (c === ';') push(i);
      else if (!/\s/.test(c)) code = true;
      i++;
    }
  }
  push(script.length);
  return statements;
}

function lineEnd(s: string, i: number): number {
  const nl = s.indexOf('\n', i);
  return nl < 0 ? s.length : nl + 1;
}

function blockEnd(s: string, i: number): number {
  const end = s.indexOf('*/', i + 2);
  return end < 0 ? s.length : end + 2;
}

/** Past the closing quote; a doubled quote is one character, and on MySQL a backslash escapes. */
function quoteEnd(s: string, i: number, q: string, backslash: boolean): number {
  let j = i + 1;
  while (j < s.length) {
    if (backslash && s[j] === '\\') j += 2;
    else if (s[j] === q) {
      if (s[j + 1] === q) j += 2;
      else return j + 1;
    } else j++;
  }
  return s.length;
}

/** `$tag$` or `$$` starting at i (a `$1` parameter is not one). */
function dollarTag(s: string, i: number): string | undefined {
  const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(s.slice(i, i + 66));
  return m ? m[0] : undefined;
}
