/**
 * The typed query AST shared by MagGate's two query spellings and every adapter.
 * It is data only: adapters compile it, never concatenating a value into query text.
 */
import { z } from 'zod';

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

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const filterSchema: z.ZodType<Filter> = z.lazy(() =>
  z.union([
    z.object({
      op: z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike']),
      column: z.string().min(1),
      value: scalar,
    }),
    z.object({ op: z.literal('in'), column: z.string().min(1), values: z.array(scalar) }),
    z.object({ op: z.literal('is'), column: z.string().min(1), value: z.union([z.null(), z.boolean()]) }),
    z.object({ op: z.enum(['and', 'or']), filters: z.array(filterSchema) }),
    z.object({ op: z.literal('not'), filter: filterSchema }),
  ]),
);

export const querySchema = z.object({
  table: z.string().min(1),
  columns: z.array(z.string().min(1)).optional(),
  where: filterSchema.optional(),
  order: z
    .array(
      z.object({
        column: z.string().min(1),
        direction: z.enum(['asc', 'desc']),
        nulls: z.enum(['first', 'last']).optional(),
      }),
    )
    .optional(),
  limit: z.number().int().min(0).optional(),
  offset: z.number().int().min(0).optional(),
});

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
