/**
 * Table patterns in roles and key scopes: `orders`, `order_*`, `*`, or source-qualified
 * `main.orders` / `main.*`. A pattern without a dot matches the table in any source.
 */
export function tableMatches(pattern: string, source: string, table: string): boolean {
  const { qualified, regex } = compiled(pattern);
  return regex.test(qualified ? `${source}.${table}` : table);
}

/** Patterns compiled once (a project has a few; the bound only keeps a flood of odd ones from growing it). */
const COMPILED = new Map<string, { qualified: boolean; regex: RegExp }>();
const MAX_COMPILED = 10_000;

function compiled(pattern: string): { qualified: boolean; regex: RegExp } {
  let found = COMPILED.get(pattern);
  if (!found) {
    if (COMPILED.size >= MAX_COMPILED) COMPILED.clear();
    found = { qualified: pattern.includes('.'), regex: new RegExp(`^${pattern.split('*').map(escape).join('.*')}$`) };
    COMPILED.set(pattern, found);
  }
  return found;
}

export function anyTableMatches(patterns: readonly string[], source: string, table: string): boolean {
  return patterns.some((p) => tableMatches(p, source, table));
}

const escape = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

export const TABLE_PATTERN = /^[A-Za-z0-9_*-]+(\.[A-Za-z0-9_*-]+)?$/;
