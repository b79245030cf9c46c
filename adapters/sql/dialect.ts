import type { ColumnInfo } from '../types.js';

/** How a column takes part in its table's primary key, for DDL. */
export type KeyRole = 'generated' | 'key' | 'plain';

/**
 * What differs between the SQL backends, as data and small functions. The compiler
 * (compile.ts, ddl.ts) is the same for all; a dialect never sees user text except as
 * values it turns into parameters.
 */
export interface SqlDialect {
  readonly name: 'postgres' | 'sqlite' | 'mysql';
  /** The n-th (1-based) parameter placeholder: `$1` or `?`. */
  placeholder(n: number): string;
  /** An identifier already known to exist, quoted (`"x"` or `` `x` ``). */
  quote(identifier: string): string;
  /** A LIKE test of `column` against the normalized pattern bound at `param`. */
  like(column: string, param: string, insensitive: boolean): string;
  /** The normalized LIKE pattern (pattern.ts) as this backend's operator expects it. */
  likePattern(pattern: string, insensitive: boolean): string;
  /** `native`: ORDER BY … NULLS FIRST/LAST; `emulated`: a leading `x IS NULL` sort key. */
  readonly nullsOrdering: 'native' | 'emulated';
  /** INSERT/UPDATE/DELETE … RETURNING *. */
  readonly returning: boolean;
  /**
   * A multi-row INSERT … VALUES draws generated integer keys from its sequence in row order
   * (Postgres: nextval per row as the VALUES list is scanned), so sorting the RETURNING rows by
   * key gives them back in input order whatever order RETURNING emits them in.
   */
  readonly sequentialKeys: boolean;
  /** The LIMIT to write when only OFFSET is asked (null: OFFSET alone is fine). */
  readonly unlimited: string | null;
  /** Appended to a SELECT that reads rows about to be changed. */
  readonly lockForUpdate: string;
  /**
   * Many rows in one INSERT … SELECT from json_populate_recordset over one JSON parameter
   * (Postgres), each value read by its column's input function as a bound parameter would be.
   */
  readonly jsonRecordsetInsert: boolean;
  /** The statement inserting one row of defaults only. */
  insertDefaults(table: string): string;
  /** A canonical value (values.ts) as the driver binds it for this column. */
  encode(column: ColumnInfo, value: unknown): unknown;
  /** Whether the driver hands json columns out as text. */
  readonly jsonIsText: boolean;
  /** The type (and default) of a column in CREATE TABLE. */
  columnDefinition(column: ColumnInfo, role: KeyRole): string;
  /** Appended to CREATE TABLE (…). */
  readonly tableOptions: string;
}
