import { usage } from './args.js';

const TYPES = ['text', 'integer', 'float', 'boolean', 'timestamp', 'json', 'bytes', 'uuid'];

/**
 * A column as the CLI writes it: `<name> <type> [not null] [null] [unique] [identity]
 * [primary key] [default <value>] [check (<expr>)]`. A name with spaces goes in double quotes
 * (`"due date" timestamp`); a default is true/false/null, a number, 'quoted text', a bare word
 * (text) or `(an SQL expression)`.
 */
export function parseColumn(text: string): Record<string, unknown> {
  let rest = text.trim();
  const take = (re: RegExp): RegExpExecArray | null => {
    const m = re.exec(rest);
    if (m) rest = rest.slice(m[0].length).trimStart();
    return m;
  };
  const quoted = take(/^"((?:[^"]|"")+)"/);
  const name = quoted ? quoted[1]!.replace(/""/g, '"') : take(/^(\S+)/)?.[1];
  const type = take(/^(\S+)/)?.[1]?.toLowerCase();
  if (!name || !type) throw usage(`A column is "<name> <type> [not null] [unique] [default …]", got "${text}"`);
  if (!TYPES.includes(type)) throw usage(`Unknown type "${type}" for column "${name}": one of ${TYPES.join(', ')}`, 'column');
  const column: Record<string, unknown> = { name, type };
  while (rest) {
    if (take(/^not\s+null\b/i)) column.nullable = false;
    else if (take(/^null\b/i)) column.nullable = true;
    else if (take(/^unique\b/i)) column.unique = true;
    else if (take(/^identity\b/i)) column.identity = true;
    else if (take(/^primary\s+key\b/i)) column.primaryKey = true;
    else if (take(/^default\s+/i)) column.default = parseDefault(take(/^('(?:[^']|'')*'|\((?:[^()]|\([^()]*\))*\)|\S+)/)?.[1], name);
    else if (take(/^check\s*/i)) {
      const expr = take(/^\(((?:[^()]|\((?:[^()]|\([^()]*\))*\))*)\)/);
      if (!expr) throw usage(`check of column "${name}" needs (an expression)`, 'column');
      column.check = expr[1];
    } else throw usage(`Cannot read "${rest}" in column "${name}": expected not null, null, unique, identity, primary key, default …, check (…)`, 'column');
  }
  return column;
}

/** A default as JSON: true/false/null, a number, 'text', (sql), or a bare word as text. */
export function parseDefault(raw: string | undefined, column: string): unknown {
  if (raw === undefined) throw usage(`default of column "${column}" needs a value`, 'column');
  if (/^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
  if (/^null$/i.test(raw)) return null;
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (raw.startsWith("'")) return raw.slice(1, -1).replace(/''/g, "'");
  if (raw.startsWith('(')) return { sql: raw.slice(1, -1) };
  return raw;
}
