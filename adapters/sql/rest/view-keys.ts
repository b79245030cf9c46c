/**
 * Foreign keys through views, as PostgREST finds them: a view column that is a base table's
 * column unchanged (its rewrite rule's target entry names the table and column it came from)
 * carries that table's foreign keys, so `user_profiles?select=my_view(*)` embeds a view of
 * `users` over the key to `users`. Read from the rule's node tree (pg_rewrite.ev_action).
 */
import type { ForeignKey } from './catalog.js';

export interface RawView {
  name: string;
  /** The `_RETURN` rule's query tree as Postgres prints it. */
  rule: string;
}

/** Table names by oid and their column names by attribute number (what target entries point at). */
export interface Origins {
  table(oid: number): string | undefined;
  column(table: string, attnum: number): string | undefined;
}

type NodeValue = string | null | NodeValue[] | { [key: string]: NodeValue };

/** `{NODE :key value …}`, `(…)` and atoms: enough of pg_node_tree's text to read a target list. */
function parseTree(text: string): NodeValue {
  const tokens = text.match(/[{}()]|(?:\\.|[^\s{}()\\])+/g) ?? [];
  let i = 0;
  const value = (): NodeValue => {
    const t = tokens[i++];
    if (t === '(') {
      const list: NodeValue[] = [];
      while (i < tokens.length && tokens[i] !== ')') list.push(value());
      i++;
      return list;
    }
    if (t === '{') {
      const node: { [key: string]: NodeValue } = { '': tokens[i++] ?? '' };
      while (i < tokens.length && tokens[i] !== '}') {
        const key = tokens[i++]!;
        if (!key.startsWith(':')) continue;
        node[key.slice(1)] = tokens[i] === '}' || tokens[i]?.startsWith(':') ? null : value();
        // A value of several atoms (a Const's bytes) keeps its first.
        while (i < tokens.length && tokens[i] !== '}' && !tokens[i]!.startsWith(':')) value();
      }
      i++;
      return node;
    }
    return t === undefined || t === '<>' ? null : t;
  };
  return value();
}

/** The view's columns that are a base column unchanged: view column → [table, column]. */
function columnOrigins(rule: string, origins: Origins): Map<string, [string, string]> {
  const tree = parseTree(rule);
  const query = Array.isArray(tree) ? tree[0] : tree;
  const entries = query && typeof query === 'object' && !Array.isArray(query) ? query['targetList'] : null;
  const found = new Map<string, [string, string]>();
  for (const entry of Array.isArray(entries) ? entries : []) {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry) || entry['resjunk'] === 'true') continue;
    const name = typeof entry['resname'] === 'string' ? entry['resname'].replace(/\\(.)/g, '$1') : undefined;
    const table = origins.table(Number(entry['resorigtbl']));
    const column = table ? origins.column(table, Number(entry['resorigcol'])) : undefined;
    if (name && table && column) found.set(name, [table, column]);
  }
  return found;
}

/**
 * Each foreign key again with a view in place of a table it joins, where the view shows every
 * column of that side unchanged; a view whose rule cannot be read adds nothing.
 */
export function viewForeignKeys(views: RawView[], fks: ForeignKey[], origins: Origins): ForeignKey[] {
  const added: ForeignKey[] = [];
  for (const view of views) {
    let mapped: Map<string, [string, string]>;
    try {
      mapped = columnOrigins(view.rule, origins);
    } catch {
      continue;
    }
    const through = (table: string, columns: string[]): string[] | undefined => {
      const names = columns.map((c) => [...mapped].find(([, [t, col]]) => t === table && col === c)?.[0]);
      return names.every((n) => n !== undefined) ? (names as string[]) : undefined;
    };
    for (const fk of fks) {
      const to = through(fk.to, fk.toColumns);
      if (to) added.push({ ...fk, to: view.name, toColumns: to, view: 'to' });
      const from = through(fk.from, fk.fromColumns);
      if (from) added.push({ ...fk, from: view.name, fromColumns: from, view: 'from' });
    }
  }
  return added;
}
