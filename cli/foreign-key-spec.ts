import { usage } from './args.js';

const ACTIONS = ['cascade', 'restrict', 'set null', 'set default', 'no action'];

/** `a,b` or `"a b",c`: names split on commas, a name with spaces or commas in double quotes. */
function names(text: string, what: string, spec: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"]|"")+)"|([^,"]+?))\s*(?:,|$)/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text))) out.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!);
  if (out.length === 0 || re.lastIndex < text.length) throw usage(`Cannot read the ${what} in foreign key "${spec}"`, 'fk');
  return out;
}

/**
 * A foreign key as the CLI writes it: `<column>[,<column>] references <table>(<column>[,…])
 * [on delete <action>] [on update <action>]`, actions cascade, restrict, set null, set default,
 * no action. Names with spaces go in double quotes.
 */
export function parseForeignKey(text: string): Record<string, unknown> {
  const m = /^\s*(.+?)\s+references\s+("(?:[^"]|"")+"|[^\s(]+)\s*\(([^)]*)\)\s*(.*)$/i.exec(text);
  if (!m) throw usage(`A foreign key is "<column>[,…] references <table>(<column>[,…]) [on delete <action>]", got "${text}"`, 'fk');
  const table = m[2]!.startsWith('"') ? m[2]!.slice(1, -1).replace(/""/g, '"') : m[2]!;
  const fk: Record<string, unknown> = { columns: names(m[1]!, 'columns', text), references: { table, columns: names(m[3]!, 'referenced columns', text) } };
  let rest = m[4]!.trim();
  while (rest) {
    const action = /^on\s+(delete|update)\s+(cascade|restrict|set\s+null|set\s+default|no\s+action)\b\s*/i.exec(rest);
    if (!action) throw usage(`Cannot read "${rest}" in foreign key "${text}": expected on delete|update ${ACTIONS.join('|')}`, 'fk');
    fk[action[1]!.toLowerCase() === 'delete' ? 'onDelete' : 'onUpdate'] = action[2]!.toLowerCase().replace(/\s+/g, ' ');
    rest = rest.slice(action[0].length);
  }
  return fk;
}
