/**
 * Table patterns in roles and key scopes: `orders`, `order_*`, `*`, or source-qualified
 * `main.orders` / `main.*`. A pattern without a dot matches the table in any source.
 */
export function tableMatches(pattern: string, source: string, table: string): boolean {
  const subject = pattern.includes('.') ? `${source}.${table}` : table;
  const regex = new RegExp(`^${pattern.split('*').map(escape).join('.*')}$`);
  return regex.test(subject);
}

export function anyTableMatches(patterns: readonly string[], source: string, table: string): boolean {
  return patterns.some((p) => tableMatches(p, source, table));
}

const escape = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

export const TABLE_PATTERN = /^[A-Za-z0-9_*-]+(\.[A-Za-z0-9_*-]+)?$/;
