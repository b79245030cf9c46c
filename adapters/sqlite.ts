/**
 * SQLite through better-sqlite3 (the only file importing it): one connection in WAL mode, on a
 * file path or ':memory:'. The driver is synchronous, so transactions hold a gate that every
 * other statement waits behind. A snapshot (dump) reads on a second, query-only connection to
 * the same file in a deferred transaction: its read snapshot starts at the first read, and in
 * WAL mode writers (this adapter's connection among them) go on meanwhile. ':memory:' has no
 * second connection: its snapshot holds the gate, so this adapter's writes wait for the dump.
 * Change feed: every change made through this adapter instance (other processes writing the
 * same file are not seen).
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LocalChangeSource } from './changes.js';
import { sqliteFile } from './options.js';
import { SqlAdapter } from './sql/adapter.js';
import type { SqlStatement } from './sql/compile.js';
import { sqliteDialect } from './sql/dialects.js';
import type { NativeSequence, SqlDriver, SqlResult, SqlRunner, StageDriver } from './sql/driver.js';
import type { Adapter, ColumnInfo, ColumnType, NativeTable, SchemaInfo, SourceConfig, TableInfo } from './types.js';
import { describeError, MoboError } from '../runtime/index.js';

const STATEMENT_CACHE_MAX = 256;

export function createSqliteAdapter(config: SourceConfig): Adapter {
  return new SqlAdapter(new SqliteDriver(config), () => new LocalChangeSource());
}

class SqliteDriver implements SqlDriver {
  readonly kind = 'sqlite';
  readonly dialect = sqliteDialect;
  readonly readRetries = 0;
  readonly groupCommit = false;
  readonly maxNameBytes = 1024;
  readonly runner: SqlRunner;
  private main: SqliteConnection | undefined;
  private gate: Promise<void> | undefined;
  private readonly path: string;

  /** A `stage` file (a restore's) is scratch: no WAL, no foreign-key checks while it fills. */
  constructor(
    config: SourceConfig,
    private readonly stage = false,
  ) {
    this.path = sqliteFile(config.url);
    this.runner = {
      inTransaction: false,
      run: async (statement) => {
        while (this.gate) await this.gate;
        return this.connection().execute(statement);
      },
    };
  }

  async connect(): Promise<void> {
    if (this.main) return;
    this.main = SqliteConnection.open(this.path, (db) => {
      if (this.stage) {
        db.pragma('synchronous = OFF');
        db.pragma('foreign_keys = OFF'); // better-sqlite3 turns them on by default
        return;
      }
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
    });
  }

  async close(): Promise<void> {
    this.main?.close();
    this.main = undefined;
  }

  transaction<T>(fn: (runner: SqlRunner) => Promise<T>): Promise<T> {
    return this.gated(() => inTransaction(this.connection(), 'BEGIN IMMEDIATE', fn));
  }

  /** The main connection, held (no other statement of this adapter runs meanwhile). */
  session<T>(fn: (runner: SqlRunner) => Promise<T>): Promise<T> {
    return this.gated(() => {
      const main = this.connection();
      return fn({ inTransaction: false, run: async (statement) => main.execute(statement) });
    });
  }

  async snapshot<T>(fn: (runner: SqlRunner) => Promise<T>): Promise<T> {
    const main = this.connection();
    if (this.path === ':memory:' || this.path === '') return this.gated(() => inTransaction(main, 'BEGIN', fn));
    const reader = SqliteConnection.open(this.path, (db) => db.pragma('query_only = ON'), { fileMustExist: true });
    try {
      return await inTransaction(reader, 'BEGIN', fn);
    } finally {
      reader.close();
    }
  }

  /**
   * `PRAGMA quick_check` on a connection of its own, so pages come from the file, not from the
   * main connection's cache: a page damaged after boot is found too. A file that is no
   * database at all (SQLITE_NOTADB) is one problem, not an error.
   */
  async integrity(): Promise<string[]> {
    const memory = this.path === ':memory:' || this.path === '';
    let reader: SqliteConnection | undefined;
    try {
      reader = memory ? this.connection() : SqliteConnection.open(this.path, (db) => db.pragma('query_only = ON'), { fileMustExist: true });
      const { rows } = reader.execute({ sql: 'PRAGMA quick_check', params: [] });
      return rows.map((r) => String(Object.values(r)[0])).filter((line) => line !== 'ok');
    } catch (err) {
      return [describeError(rootCause(err))];
    } finally {
      if (!memory) reader?.close();
    }
  }

  /** Reads on the main connection directly, not through the gate: a transaction may need the schema while holding it. */
  async loadSchema(runner?: SqlRunner): Promise<SchemaInfo> {
    const run = runner ? (statement: SqlStatement) => runner.run(statement) : async (statement: SqlStatement) => this.connection().execute(statement);
    const { rows: tables } = await run({
      sql: "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
      params: [],
    });
    const result: TableInfo[] = [];
    for (const { name } of tables) {
      const { rows } = await run({ sql: 'SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)', params: [name] });
      const keyed = rows.filter((r) => Number(r['pk']) > 0).sort((a, b) => Number(a['pk']) - Number(b['pk']));
      const rowidAlias = keyed.length === 1 && String(keyed[0]!['type']).toUpperCase() === 'INTEGER';
      const columns: ColumnInfo[] = rows.map((r) => ({
        name: String(r['name']),
        type: sqliteType(String(r['type'])),
        nativeType: String(r['type']),
        nullable: Number(r['notnull']) === 0 && Number(r['pk']) === 0,
        hasDefault: r['dflt_value'] !== null || (rowidAlias && Number(r['pk']) === 1),
      }));
      result.push({ name: String(name), columns, primaryKey: keyed.map((r) => String(r['name'])) });
    }
    return { tables: result };
  }

  tableRef(table: string): string {
    return this.dialect.quote(table);
  }

  /** Each table as sqlite_schema holds it, with its indexes, triggers and AUTOINCREMENT counter. */
  async describe(runner: SqlRunner, tables: readonly TableInfo[]): Promise<Map<string, NativeTable>> {
    const run = (sql: string) => runner.run({ sql, params: [] });
    const { rows } = await run("SELECT type, name, tbl_name AS t, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid");
    const counters = rows.some((r) => r['name'] === 'sqlite_sequence') ? (await run('SELECT name, seq FROM sqlite_sequence')).rows : [];
    const natives = new Map<string, NativeTable>();
    for (const { name } of tables) {
      const own = rows.filter((r) => r['t'] === name);
      natives.set(name, {
        backend: 'sqlite',
        create: own.filter((r) => r['type'] === 'table').map((r) => String(r['sql'])),
        after: own.filter((r) => r['type'] === 'index' || r['type'] === 'trigger').map((r) => String(r['sql'])),
        foreignKeys: [],
        sequences: counters.filter((r) => r['name'] === name).map((r) => ({ name, value: String(r['seq']), called: true })),
      });
    }
    return natives;
  }

  async setSequence(sequence: NativeSequence): Promise<void> {
    const { affected } = await this.runner.run({ sql: 'UPDATE sqlite_sequence SET seq = ? WHERE name = ?', params: [Number(sequence.value), sequence.name] });
    if (affected === 0) await this.runner.run({ sql: 'INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)', params: [sequence.name, Number(sequence.value)] });
  }

  /**
   * A file of its own beside the database. The swap attaches it and, in one transaction on the
   * main connection, drops the replaced tables and recreates the staged ones from the stage's
   * sqlite_schema text with their rows, indexes, triggers and counters. Foreign keys are off
   * meanwhile, so a drop fires no ON DELETE action on a table the restore does not replace.
   */
  async openStage(): Promise<StageDriver> {
    const memory = this.path === ':memory:' || this.path === '';
    const file = `${memory ? join(tmpdir(), 'mobo') : this.path}.restore-${randomBytes(6).toString('hex')}`;
    const driver = new SqliteDriver({ kind: 'sqlite', url: file }, true);
    await driver.connect();
    const removeFiles = () => Promise.all(['', '-journal', '-wal', '-shm'].map((suffix) => rm(file + suffix, { force: true })));
    return {
      driver,
      swap: async (tables, beforeCommit) => {
        await driver.close();
        await this.gated(async () => {
          const main = this.connection();
          const run = (sql: string, params: unknown[] = []) => main.execute({ sql, params });
          run('PRAGMA foreign_keys = OFF');
          run('ATTACH DATABASE ? AS mobo_stage', [file]);
          try {
            await inTransaction(main, 'BEGIN IMMEDIATE', async () => {
              const staged = run('SELECT type, name, tbl_name AS t, sql FROM mobo_stage.sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid').rows;
              for (const table of tables) run(`DROP TABLE IF EXISTS main.${this.dialect.quote(table)}`);
              for (const table of tables) {
                const own = staged.filter((r) => r['t'] === table);
                for (const r of own.filter((x) => x['type'] === 'table')) run(String(r['sql']));
                const columns = run("SELECT name FROM pragma_table_info(?, 'mobo_stage')", [table]).rows.map((r) => this.dialect.quote(String(r['name']))).join(', ');
                run(`INSERT INTO main.${this.dialect.quote(table)} (${columns}) SELECT ${columns} FROM mobo_stage.${this.dialect.quote(table)}`);
                for (const r of own.filter((x) => x['type'] !== 'table')) run(String(r['sql']));
              }
              // The counters exactly as staged (the copy above may have made entries of its own).
              if (run("SELECT 1 FROM main.sqlite_schema WHERE name = 'sqlite_sequence'").rows.length > 0) {
                for (const table of tables) run('DELETE FROM main.sqlite_sequence WHERE name = ?', [table]);
              }
              if (staged.some((r) => r['name'] === 'sqlite_sequence')) {
                for (const r of run('SELECT name, seq FROM mobo_stage.sqlite_sequence').rows) run('INSERT INTO main.sqlite_sequence (name, seq) VALUES (?, ?)', [r['name'], r['seq']]);
              }
              await beforeCommit();
            });
          } finally {
            run('DETACH DATABASE mobo_stage');
            run('PRAGMA foreign_keys = ON');
          }
        });
      },
      discard: async () => {
        await driver.close();
        await removeFiles();
      },
    };
  }

  /** fn alone on the main connection: every other statement waits until it settles. */
  private async gated<T>(fn: () => Promise<T>): Promise<T> {
    while (this.gate) await this.gate;
    let open!: () => void;
    this.gate = new Promise((resolve) => (open = resolve));
    try {
      return await fn();
    } finally {
      this.gate = undefined;
      open();
    }
  }

  private connection(): SqliteConnection {
    if (!this.main) throw new MoboError('DS_UNAVAILABLE', 'The SQLite database is not open');
    return this.main;
  }
}

/** fn between `begin` and COMMIT on one connection (ROLLBACK when it throws). */
async function inTransaction<T>(connection: SqliteConnection, begin: string, fn: (runner: SqlRunner) => Promise<T>): Promise<T> {
  const runner: SqlRunner = { inTransaction: true, run: async (statement) => connection.execute(statement) };
  connection.execute({ sql: begin, params: [] });
  try {
    const result = await fn(runner);
    connection.execute({ sql: 'COMMIT', params: [] });
    return result;
  } catch (err) {
    if (connection.inTransaction) connection.execute({ sql: 'ROLLBACK', params: [] });
    throw err;
  }
}

/** One better-sqlite3 connection and its prepared-statement cache. */
class SqliteConnection {
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(private readonly db: Database.Database) {}

  static open(path: string, setUp: (db: Database.Database) => void, options: Database.Options = {}): SqliteConnection {
    let db: Database.Database | undefined;
    try {
      db = new Database(path, options);
      db.pragma('busy_timeout = 5000');
      setUp(db);
      return new SqliteConnection(db);
    } catch (err) {
      db?.close();
      throw new MoboError('DS_UNAVAILABLE', 'The SQLite database could not be opened', { cause: err });
    }
  }

  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }

  execute(statement: SqlStatement): SqlResult {
    try {
      const prepared = this.prepare(statement.sql);
      if (prepared.reader) {
        const rows = prepared.all(...statement.params) as Record<string, unknown>[];
        return { rows, affected: rows.length };
      }
      const info = prepared.run(...statement.params);
      return { rows: [], affected: info.changes, insertId: Number(info.lastInsertRowid) };
    } catch (err) {
      throw sqliteError(err);
    }
  }

  private prepare(sql: string): Database.Statement {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      prepared = this.db.prepare(sql);
      if (this.statements.size >= STATEMENT_CACHE_MAX) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }
}

function sqliteType(declared: string): ColumnType {
  const t = declared.toUpperCase();
  if (t.includes('BOOL')) return 'boolean';
  if (t.includes('INT')) return 'integer';
  if (/REAL|FLOA|DOUB|NUMERIC|DECIMAL/.test(t)) return 'float';
  if (/TIMESTAMP|DATE/.test(t)) return 'timestamp';
  if (t.includes('JSON')) return 'json';
  if (t.includes('BLOB')) return 'bytes';
  if (t.includes('UUID')) return 'uuid';
  return 'text';
}

/** better-sqlite3 errors → DS_* (the one place for SQLite). */
/** The driver's own error under our wrappers (its message says what SQLite found). */
function rootCause(err: unknown): unknown {
  let e = err;
  while (e instanceof MoboError && e.cause !== undefined) e = e.cause;
  return e;
}

function sqliteError(err: unknown): MoboError {
  if (err instanceof MoboError) return err;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const message = err instanceof Error ? err.message : '';
  const column = /: [\w"]+\.(\w+)/.exec(message)?.[1];
  const details = column ? { column } : undefined;
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') return new MoboError('DS_CONFLICT', undefined, { details, cause: err });
  if (code.startsWith('SQLITE_CONSTRAINT')) return new MoboError('DS_CONSTRAINT', undefined, { details, cause: err });
  if (code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG' || err instanceof TypeError || err instanceof RangeError) {
    return new MoboError('DS_VALUE_INVALID', undefined, { cause: err });
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_IOERR') {
    return new MoboError('DS_UNAVAILABLE', undefined, { cause: err });
  }
  if (/no such table/.test(message)) return new MoboError('DS_TABLE_NOT_FOUND', undefined, { cause: err });
  if (/no such column/.test(message)) return new MoboError('DS_COLUMN_NOT_FOUND', undefined, { cause: err });
  if (/already exists/.test(message)) return new MoboError('DS_CONFLICT', undefined, { cause: err });
  return new MoboError('DS_QUERY_INVALID', 'The data source rejected the query', { cause: err });
}
