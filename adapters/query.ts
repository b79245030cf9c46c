/**
 * The typed query AST shared by MagGate's two query spellings and every adapter.
 * It is data only: adapters compile it, never concatenating a value into query text.
 */
export type Scalar = string | number | boolean | null;

export type ComparisonOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'like' | 'ilike';

export type Filter =
  | { op: ComparisonOp; column: string; value: Scalar }
  | { op: 'in'; column: string; values: Scalar[] }
  | { op: 'is'; column: string; value: null | boolean }
  | { op: 'and' | 'or'; filters: Filter[] }
  | { op: 'not'; filter: Filter };

export interface SortKey {
  column: string;
  direction: 'asc' | 'desc';
  nulls?: 'first' | 'last';
}

export interface Query {
  table: string;
  /** Columns to return; undefined means all. */
  columns?: string[];
  where?: Filter;
  order?: SortKey[];
  limit?: number;
  offset?: number;
}

/** Every column a filter mentions, for checking against the introspected schema. */
export function filterColumns(filter: Filter | undefined, into: Set<string> = new Set()): Set<string> {
  if (!filter) return into;
  switch (filter.op) {
    case 'and':
    case 'or':
      for (const f of filter.filters) filterColumns(f, into);
      return into;
    case 'not':
      return filterColumns(filter.filter, into);
    default:
      into.add(filter.column);
      return into;
  }
}
