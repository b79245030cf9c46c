/**
 * SQLite through better-sqlite3 (the only file importing it): one connection in WAL mode, on a
 * file path or ':memory:'. The driver is synchronous, so transactions hold a gate that every
 * other statement waits behind. Change feed: every change made through this adapter instance
 * (other processes writing the same file are not seen).
 */
import Database from 'better-sqlite3';
import { MoboError } from '../runtime/errors.js';
import { LocalChangeSource } from './changes.js';
import { SqlAdapter } from './sql/adapter.js';
import type { SqlStatement } from './sql/compile.js';
import { sqliteDialect } from './sql/dialects.js';
import type { SqlDriver, SqlResult, SqlRunner } from './sql/driver.js';
import type { Adapter, ColumnInfo, ColumnType, SchemaInfo, SourceConfig, TableInfo } from './types.js';

const STATEMENT_CACHE_MAX = 256;

export function createSqliteAdapter(config: SourceConfig): Adapter {
  return new SqlAdapter(new SqliteDriver(config), () => new LocalChangeSource());
}

class SqliteDriver implements SqlDriver {
  readonly kind = 'sqlite';
  readonly dialect = sqliteDialect;
  readonly readRetries = 0;
  readonly runner: SqlRunner;
  private db: Database.Database | undefined;
  private readonly statements = new Map<string, Database.Statement>();
  private gate: Promise<void> | undefined;

  constructor(private readonly config: SourceConfig) {
    this.runner = {
      inTransaction: false,
      run: async (statement) => {
        while (this.gate) await this.gate;
        return this.execute(statement);
      },
    };
  }

  async connect(): Promise<void> {
    if (this.db) return;
    const path = this.config.url.replace(/^sqlite:(\/\/)?/, '');
    try {
      const db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      this.db = db;
    } catch (err) {
      throw new MoboError('DS_UNAVAILABLE', 'The SQLite database could not be opened', { cause: err });
    }
  }

  async close(): Promise<void> {
    this.statements.clear();
    this.db?.close();
    this.db = undefined;
  }

  async transaction<T>(fn: (runner: SqlRunner) => Promise<T>): Promise<T> {
    while (this.gate) await this.gate;
    let open!: () => void;
    this.gate = new Promise((resolve) => (open = resolve));
    const runner: SqlRunner = { inTransaction: true, run: async (statement) => this.execute(statement) };
    try {
      this.execute({ sql: 'BEGIN IMMEDIATE', params: [] });
      try {
        const result = await fn(runner);
        this.execute({ sql: 'COMMIT', params: [] });
        return result;
      } catch (err) {
        if (this.connection().inTransaction) this.execute({ sql: 'ROLLBACK', params: [] });
        throw err;
      }
    } finally {
      this.gate = undefined;
      open();
    }
  }

  async loadSchema(): Promise<SchemaInfo> {
    // Read directly, not through the gate: a transaction may need the schema while holding it.
    const tables = this.execute({
      sql: "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
      params: [],
    }).rows;
    const result: TableInfo[] = [];
    for (const { name } of tables) {
      const { rows } = this.execute({ sql: 'SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)', params: [name] });
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

  private connection(): Database.Database {
    if (!this.db) throw new MoboError('DS_UNAVAILABLE', 'The SQLite database is not open');
    return this.db;
  }

  private execute(statement: SqlStatement): SqlResult {
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
      prepared = this.connection().prepare(sql);
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
