/**
 * PostgREST's upsert (`on_conflict`, `Prefer: resolution=merge-duplicates|ignore-duplicates`) on
 * the SQL backends that do not compile rest-plan.ts as one statement (SQLite, MySQL/MariaDB),
 * in one transaction: the rows the conflict key already names are read (locked where the
 * backend can), the INSERT runs with the dialect's conflict clause, and the rows are read back
 * by that key. Before and after tell inserted rows from updated ones (PostgREST's 201 or 200)
 * and feed the change events.
 *
 * SQLite: `ON CONFLICT (target) DO UPDATE SET c = excluded.c` / `DO NOTHING`.
 * MariaDB: `ON DUPLICATE KEY UPDATE c = VALUES(c)`; ignore-duplicates is `k = k` on the first
 * target column (never INSERT IGNORE, which also turns other errors into warnings). MariaDB
 * fires on ANY unique key, so a second unique key the rows also give is refused: the conflict
 * could land on it and change a row the target does not name.
 */
import { MoboError } from '../../runtime/index.js';
import { matchesFilter } from '../evaluate.js';
import { prepareWhere } from '../validate.js';
import type { Filter, Scalar } from '../query.js';
import type { DescribedTable, Row } from '../types.js';
import type { SqlTarget } from './compile.js';
import { compileInsert, compileSelect } from './compile.js';
import type { SqlDriver, SqlRunner } from './driver.js';
import { decodeRow } from './ops.js';

export interface UpsertOutcome {
  /** The rows the request wrote, as stored now, in the order the store gives them back. */
  after: Row[];
  /** The rows the conflict key named before the write (updated, or left alone when ignoring). */
  before: Row[];
}

/** Keys per read-back statement (an OR of key equalities). */
const KEYS_PER_READ = 500;
/** Bound parameters per INSERT, under every backend's limit. */
const MAX_PARAMS = 30_000;

/** The conflict target, checked against the table's unique keys (a 400 naming it when it is none). */
export interface ConflictKeys {
  target: string[];
  /** MySQL: the other unique keys the rows give, on which ON DUPLICATE KEY UPDATE would also fire. */
  others: string[][];
}

/** The conflict target, checked against the table's unique keys (a 400 naming it when it is none). */
export function conflictKeys(described: DescribedTable, columns: readonly string[], requested: readonly string[] | undefined, dialect: SqlDriver['dialect']['name']): ConflictKeys {
  const table = described.name;
  const target = requested ?? described.primaryKey;
  if (target.length === 0) throw invalidUpsert(`${table} has no primary key: name the on_conflict columns`, { table });
  const keys = [described.primaryKey, ...described.indexes.filter((i) => i.unique).map((i) => i.columns)].filter((k) => k.length > 0);
  const same = (k: readonly string[]) => k.length === target.length && k.every((c) => target.includes(c));
  if (!keys.some(same)) throw invalidUpsert(`on_conflict (${target.join(', ')}) is not a primary key or unique key of ${table}`, { table, field: 'on_conflict', columns: target });
  const missing = target.filter((c) => !columns.includes(c));
  if (missing.length > 0) throw invalidUpsert(`Every row of an upsert gives its on_conflict columns; ${missing.join(', ')} is missing`, { table, field: 'on_conflict', columns: missing });
  const others = dialect === 'mysql' ? keys.filter((k) => !same(k) && k.every((c) => columns.includes(c))) : [];
  return { target: [...target], others };
}

/**
 * `rule`: the caller's row rule on the table. A merge may update only rows it lets the caller
 * write: a stored row it hides is refused (403) before anything is written, as Postgres does.
 */
export async function upsertRows(driver: SqlDriver, runner: SqlRunner, target: SqlTarget, rows: Row[], keys: ConflictKeys, resolution: 'merge' | 'ignore', rule?: Filter): Promise<UpsertOutcome> {
  const conflict = keys.target;
  const { dialect } = driver;
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  for (const row of rows) {
    const empty = conflict.find((c) => row[c] === undefined || row[c] === null);
    if (empty) throw invalidUpsert(`Every row of an upsert gives a value for ${empty} (on_conflict)`, { table: target.info.name, field: empty });
  }
  const read = async (wanted: Row[], lock: boolean, key: readonly string[] = conflict): Promise<Row[]> => {
    const found: Row[] = [];
    for (let i = 0; i < wanted.length; i += KEYS_PER_READ) {
      const where = keyFilter(key, wanted.slice(i, i + KEYS_PER_READ));
      const { rows: raw } = await runner.run(compileSelect(dialect, target, { table: target.info.name, where }, lock));
      found.push(...raw.map((r) => decodeRow(target.info, r, dialect.jsonIsText)));
    }
    return found;
  };
  if (resolution === 'merge') {
    // Postgres refuses to update one row twice in a statement (21000); the dialects would let the last row win.
    const seen = new Set<string>();
    for (const row of rows) {
      const key = keyOf(conflict, row);
      if (seen.has(key)) throw invalidUpsert('An upsert cannot change one row twice: two rows of the body give the same on_conflict values', { table: target.info.name, field: 'on_conflict', columns: conflict });
      seen.add(key);
    }
  }
  const before = await read(rows, true);
  const writable = rule && resolution === 'merge' ? prepareWhere(target.info, rule) : undefined;
  if (writable && before.some((r) => !matchesFilter(writable, r))) {
    throw new MoboError('AUTH_FORBIDDEN', `An upsert may not change a row of ${target.info.name} the caller's row rule hides`, { details: { table: target.info.name } });
  }
  for (const other of keys.others) sameRowOnEveryKey(rows, conflict, other, await read(rows, true, other), target.info.name);
  const quote = (c: string) => dialect.quote(c);
  const clause =
    dialect.name === 'mysql'
      ? ` ON DUPLICATE KEY UPDATE ${resolution === 'ignore' ? `${quote(conflict[0]!)} = ${quote(conflict[0]!)}` : columns.map((c) => `${quote(c)} = VALUES(${quote(c)})`).join(', ')}`
      : ` ON CONFLICT (${conflict.map(quote).join(', ')}) ${resolution === 'ignore' ? 'DO NOTHING' : `DO UPDATE SET ${columns.map((c) => `${quote(c)} = excluded.${quote(c)}`).join(', ')}`}`;
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  for (let i = 0; i < rows.length; i += perStatement) {
    const statement = compileInsert(dialect, target, columns, rows.slice(i, i + perStatement), false);
    await runner.run({ sql: statement.sql + clause, params: statement.params });
  }
  const outcome = { before, after: await read(rows, false) };
  // Ignoring, PostgREST gives back only the rows it inserted.
  return resolution === 'ignore' ? { before, after: insertedRows(conflict, outcome) } : outcome;
}

/** Rows inserted by the upsert (their key was not there before). */
export function insertedRows(conflict: string[], outcome: UpsertOutcome): Row[] {
  const existed = new Set(outcome.before.map((r) => keyOf(conflict, r)));
  return outcome.after.filter((r) => !existed.has(keyOf(conflict, r)));
}

/**
 * MySQL's ON DUPLICATE KEY fires on any unique key. Where a row's other key names no stored
 * row, or the same one its target names, that is what Postgres does too; else Postgres raises
 * a unique violation (23505), and so does this, before anything is written.
 */
function sameRowOnEveryKey(rows: Row[], target: readonly string[], other: readonly string[], stored: Row[], table: string): void {
  // A NULL in a unique key never conflicts.
  const given = (r: Row) => other.every((c) => r[c] !== null && r[c] !== undefined);
  const byOther = new Map(stored.filter(given).map((r) => [keyOf(other, r), keyOf(target, r)]));
  for (const row of rows.filter(given)) {
    const owner = byOther.get(keyOf(other, row));
    if (owner !== undefined && owner !== keyOf(target, row)) {
      throw new MoboError('DS_CONFLICT', `duplicate key value violates unique constraint on ${table} (${other.join(', ')})`, { details: { table, columns: [...other] } });
    }
  }
}

export function keyOf(conflict: readonly string[], row: Row): string {
  return JSON.stringify(conflict.map((c) => String(row[c])));
}

function keyFilter(conflict: readonly string[], rows: Row[]): Filter {
  return {
    op: 'or',
    filters: rows.map((r) => ({ op: 'and', filters: conflict.map((column) => ({ op: 'eq' as const, column, value: r[column] as Scalar })) })),
  };
}

function invalidUpsert(message: string, details: Record<string, unknown>): MoboError {
  return new MoboError('DS_QUERY_INVALID', message, { details });
}
