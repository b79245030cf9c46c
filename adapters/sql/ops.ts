/**
 * CRUD over any SqlDriver: validate against the schema, compile once, run, decode. When someone
 * watches a local change feed, or the caller asks for RETURNING, the rows a write changed are
 * collected: with RETURNING where the dialect has it, else by reading the affected rows inside
 * a transaction (SELECT … FOR UPDATE, write by key, read back by key).
 */
import type { ChangeSink } from '../changes.js';
import { changeEvents } from '../changes.js';
import { findColumn, primaryKeyOf } from '../columns.js';
import { BATCH_SIZE } from '../options.js';
import { forRead, isConnectionLost } from '../outcome.js';
import type { Filter, Scalar } from '../query.js';
import type { SchemaCache } from '../schema-cache.js';
import type { DataOps, Query, Row, TableInfo } from '../types.js';
import { preparePatch, prepareQuery, prepareRows, prepareWhere } from '../validate.js';
import { decodeValue } from '../values.js';
import type { SqlStatement, SqlTarget } from './compile.js';
import { compileCount, compileDelete, compileInsert, compileRecordsetInsert, compileSelect, compileUpdate } from './compile.js';
import type { SqlDriver, SqlResult, SqlRunner } from './driver.js';
import type { GroupCommit, Merge } from './group-commit.js';
import { MAX_GROUP } from './group-commit.js';

/** Bound parameters per INSERT statement, under every backend's limit. */
const MAX_PARAMS = 30_000;
/** From this many rows of one column set, a dialect's recordset INSERT replaces VALUES lists. */
const RECORDSET_MIN_ROWS = 32;
/** Rows per recordset INSERT (its one JSON parameter stays a few MB). */
const RECORDSET_MAX_ROWS = 10_000;
/** Bound parameters one request may bring to a merged INSERT: a full group stays under MAX_PARAMS. */
const MERGE_MAX_PARAMS = Math.floor(MAX_PARAMS / MAX_GROUP);

export class SqlDataOps implements DataOps {
  constructor(
    private readonly driver: SqlDriver,
    private readonly runner: SqlRunner,
    private readonly schema: SchemaCache,
    private readonly changes: ChangeSink,
    /** Where autocommit inserts share transactions (the adapter's own ops, on backends that group). */
    private readonly group?: GroupCommit,
  ) {}

  async select(query: Query): Promise<Row[]> {
    const target = await this.target(query.table);
    return this.read(target, prepareQuery(target.info, query));
  }

  async count(query: Pick<Query, 'table' | 'where'>): Promise<number> {
    const target = await this.target(query.table);
    const statement = compileCount(this.driver.dialect, target, prepareWhere(target.info, query.where));
    const { rows } = await this.readOnly(statement);
    return Number(rows[0]?.['n'] ?? 0);
  }

  async insert(table: string, rows: Row[], returning = false): Promise<Row[]> {
    const target = await this.target(table);
    const prepared = prepareRows(target.info, rows);
    if (prepared.length === 0) return [];
    const collect = returning || this.changes.wanted;
    // Small inserts share commits; a large one amortises its own (and restore keeps several in flight).
    const group = prepared.length < RECORDSET_MIN_ROWS ? this.group : undefined;
    const inserted = !collect || this.driver.dialect.returning
      ? await this.insertGroups(target, prepared, collect, group)
      : await this.atomically((runner) => this.insertOneByOne(runner, target, prepared), group, false);
    this.publish(changeEvents(target.info, 'INSERT', inserted));
    return returning ? inserted : [];
  }

  async update(query: Pick<Query, 'table' | 'where'>, patch: Row, returning = false): Promise<Row[]> {
    const target = await this.target(query.table);
    const where = prepareWhere(target.info, query.where);
    const prepared = preparePatch(target.info, patch);
    const { dialect } = this.driver;
    if (!returning && !this.changes.wanted) {
      await this.runner.run(compileUpdate(dialect, target, prepared, where, false));
      return [];
    }
    const changesKey = target.info.primaryKey.some((k) => k in prepared);
    if (dialect.returning && !changesKey) {
      const { rows } = await this.runner.run(compileUpdate(dialect, target, prepared, where, true));
      const after = rows.map((row) => this.decode(target.info, row));
      this.publish(changeEvents(target.info, 'UPDATE', after));
      return returning ? after : [];
    }
    const { before, after } = await this.withTransaction(async (runner) => {
      const old = await this.lockRows(runner, target, where);
      const next = old.map((row) => ({ ...row, ...prepared }));
      for (const keys of this.keyFilters(target.info, old, where)) {
        await runner.run(compileUpdate(dialect, target, prepared, keys, false));
      }
      return { before: old, after: target.info.primaryKey.length > 0 ? await this.readByKeys(runner, target, next) : next };
    });
    this.publish(changeEvents(target.info, 'UPDATE', after, before));
    return returning ? after : [];
  }

  async delete(query: Pick<Query, 'table' | 'where'>, returning = false): Promise<Row[]> {
    const target = await this.target(query.table);
    const where = prepareWhere(target.info, query.where);
    const { dialect } = this.driver;
    if (!returning && !this.changes.wanted) {
      await this.runner.run(compileDelete(dialect, target, where, false));
      return [];
    }
    const deleted = dialect.returning
      ? (await this.runner.run(compileDelete(dialect, target, where, true))).rows.map((row) => this.decode(target.info, row))
      : await this.withTransaction(async (runner) => {
          const old = await this.lockRows(runner, target, where);
          for (const keys of this.keyFilters(target.info, old, where)) await runner.run(compileDelete(dialect, target, keys, false));
          return old;
        });
    this.publish(changeEvents(target.info, 'DELETE', [], deleted));
    return returning ? deleted : [];
  }

  private async target(table: string): Promise<SqlTarget> {
    const info = await this.schema.table(table);
    return { ref: this.driver.tableRef(info.name), info };
  }

  private async read(target: SqlTarget, query: Query, runner: SqlRunner = this.runner, forUpdate = false): Promise<Row[]> {
    const statement = compileSelect(this.driver.dialect, target, query, forUpdate);
    const { rows } = runner === this.runner ? await this.readOnly(statement) : await runner.run(statement);
    return rows.map((row) => this.decode(target.info, row));
  }

  /** Reads outside a transaction are idempotent: retrying rides over connections killed under the pool. */
  private async readOnly(statement: SqlStatement): Promise<SqlResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.runner.run(statement);
      } catch (err) {
        if (this.runner.inTransaction || attempt >= this.driver.readRetries || !isConnectionLost(err)) throw forRead(err);
      }
    }
  }

  private lockRows(runner: SqlRunner, target: SqlTarget, where: Filter | undefined): Promise<Row[]> {
    return this.read(target, where === undefined ? { table: target.info.name } : { table: target.info.name, where }, runner, true);
  }

  /** Rows sharing a column set go in multi-row INSERTs under the parameter limit; several run as one transaction. */
  private async insertGroups(target: SqlTarget, rows: Row[], returning: boolean, group: GroupCommit | undefined): Promise<Row[]> {
    const statements = this.insertStatements(target, rows, returning);
    const runAll = async (runner: SqlRunner): Promise<Row[]> => {
      const inserted: Row[] = [];
      for (const statement of statements) {
        for (const row of (await runner.run(statement)).rows) inserted.push(this.decode(target.info, row));
      }
      return inserted;
    };
    if (statements.length === 1 && !group) return runAll(this.runner);
    const merge = group && returning && statements.length === 1 ? this.mergeable(target, rows) : undefined;
    return this.atomically(runAll, group, statements.length === 1, merge);
  }

  /**
   * How rows can share one INSERT with other requests' rows (group-commit.ts): only where the
   * inserted rows can be told apart in input order, i.e. a single integer key drawn from a
   * sequence (serial, identity; not any other default) that no row gives, on a dialect whose
   * multi-row INSERT draws keys in row order.
   */
  private mergeable(target: SqlTarget, rows: Row[]): Merge | undefined {
    const { dialect } = this.driver;
    const [key, ...more] = target.info.primaryKey;
    const column = key !== undefined && more.length === 0 ? findColumn(target.info, key) : undefined;
    const columns = Object.keys(rows[0]!);
    const fits = columns.length > 0 && rows.length * columns.length <= MERGE_MAX_PARAMS;
    if (!dialect.sequentialKeys || !column?.fromSequence || column.type !== 'integer' || !fits || rows.some((row) => key! in row)) return undefined;
    return {
      key: `${target.ref}\u0000${[...columns].sort().join('\u0000')}`,
      rows,
      insert: async (runner, all) => {
        const { rows: raw } = await runner.run(compileInsert(dialect, target, columns, all, true));
        return raw.map((row) => this.decode(target.info, row)).sort((a, b) => compareKeys(a[key!], b[key!]));
      },
    };
  }

  private insertStatements(target: SqlTarget, rows: Row[], returning: boolean): SqlStatement[] {
    const groups = new Map<string, Row[]>();
    // Rows of one batch nearly always list the same columns in the same order: reuse the last group then.
    let last: { columns: string[]; group: Row[] } | undefined;
    for (const row of rows) {
      const columns = Object.keys(row);
      if (last && sameColumns(columns, last.columns)) {
        last.group.push(row);
        continue;
      }
      const key = [...columns].sort().join('\u0000');
      let group = groups.get(key);
      if (group) group.push(row);
      else groups.set(key, (group = [row]));
      last = { columns, group };
    }
    const { dialect } = this.driver;
    const statements: SqlStatement[] = [];
    for (const group of groups.values()) {
      const columns = Object.keys(group[0]!);
      const recordset = dialect.jsonRecordsetInsert && !returning && columns.length > 0 && group.length >= RECORDSET_MIN_ROWS;
      const perStatement = recordset ? RECORDSET_MAX_ROWS : columns.length === 0 ? 1 : Math.max(1, Math.floor(MAX_PARAMS / columns.length));
      for (let i = 0; i < group.length; i += perStatement) {
        const rows = group.slice(i, i + perStatement);
        statements.push(recordset ? compileRecordsetInsert(dialect, target, columns, rows) : compileInsert(dialect, target, columns, rows, returning));
      }
    }
    return statements;
  }

  /** Without RETURNING: insert each row, learn its key (given or generated), read them back. */
  private async insertOneByOne(runner: SqlRunner, target: SqlTarget, rows: Row[]): Promise<Row[]> {
    const { primaryKey } = target.info;
    const keyed: Row[] = [];
    for (const row of rows) {
      const result = await runner.run(compileInsert(this.driver.dialect, target, Object.keys(row), [row], false));
      const generated = primaryKey.length === 1 && row[primaryKey[0]!] === undefined && result.insertId ? { [primaryKey[0]!]: result.insertId } : {};
      keyed.push({ ...row, ...generated });
    }
    return primaryKey.length > 0 ? this.readByKeys(runner, target, keyed) : keyed;
  }

  private async readByKeys(runner: SqlRunner, target: SqlTarget, rows: Row[]): Promise<Row[]> {
    const found: Row[] = [];
    for (const keys of this.keyFilters(target.info, rows, undefined)) {
      found.push(...(await this.read(target, { table: target.info.name, where: keys }, runner)));
    }
    return found;
  }

  /** Filters selecting `rows` by primary key, in batches; without a key, the original filter. */
  private keyFilters(table: TableInfo, rows: Row[], fallback: Filter | undefined): Array<Filter | undefined> {
    if (rows.length === 0) return [];
    if (table.primaryKey.length === 0) return [fallback];
    const filters: Filter[] = [];
    for (let i = 0; i < rows.length; i += BATCH_SIZE) {
      const batch = rows.slice(i, i + BATCH_SIZE);
      const [single] = table.primaryKey;
      filters.push(
        table.primaryKey.length === 1
          ? { op: 'in', column: single!, values: batch.map((r) => r[single!] as Scalar) }
          : {
              op: 'or',
              filters: batch.map((r) => ({
                op: 'and',
                filters: Object.entries(primaryKeyOf(table, r)).map(([column, value]) => ({ op: 'eq', column, value: value as Scalar })),
              })),
            },
      );
    }
    return filters;
  }

  /** fn's statements all or none: in a shared transaction of `group`, else in one of their own. */
  private atomically<T>(fn: (runner: SqlRunner) => Promise<T>, group: GroupCommit | undefined, oneStatement: boolean, merge?: Merge): Promise<T> {
    return group ? group.run(fn, oneStatement, merge) : this.withTransaction(fn);
  }

  private withTransaction<T>(fn: (runner: SqlRunner) => Promise<T>): Promise<T> {
    return this.runner.inTransaction ? fn(this.runner) : this.driver.transaction(fn);
  }

  private decode(table: TableInfo, raw: Row): Row {
    return decodeRow(table, raw, this.driver.dialect.jsonIsText);
  }

  private publish(events: ReturnType<typeof changeEvents>): void {
    if (this.changes.wanted && events.length > 0) this.changes.publish(events);
  }
}

/** Integer keys as the driver hands them back (number, or string beyond 2^53). */
function compareKeys(a: unknown, b: unknown): number {
  const x = BigInt(String(a));
  const y = BigInt(String(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A row as the driver hands it, in canonical values (values.ts). */
export function decodeRow(table: TableInfo, raw: Row, jsonIsText: boolean): Row {
  const row: Row = {};
  for (const [name, value] of Object.entries(raw)) {
    const column = findColumn(table, name);
    row[name] = column ? decodeValue(column.type, value, jsonIsText) : value;
  }
  return row;
}
