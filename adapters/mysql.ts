/**
 * MySQL / MariaDB through mysql2/promise (the only file importing it): connections from the
 * server's connection budget (budget-pool.ts, as Postgres sources: at most `pool.max` in use for
 * this source, idle ones shared with the sources of the same database and settings and closed
 * after `idleTimeoutMs`), server-side prepared statements, UTC date handling; `namespace` selects the
 * database (default: the one in the URL). Tables created here use utf8mb4_bin, so `eq` and
 * `like` are case-sensitive as on the other backends. There is no RETURNING: changed rows are
 * read inside the write's transaction (sql/ops.ts). Change feed: every change made through this
 * adapter instance, published after commit.
 */
import { createHash, randomBytes } from 'node:crypto';
import { BudgetPool, type PoolConnection } from './budget-pool.js';
import { serverBudget, type ServerBudget } from './server-budget.js';
import { stageName } from './sql/stage.js';
import mysql from 'mysql2/promise';
import { beforeCommit, outcomeUnknown } from './outcome.js';
import { LocalChangeSource } from './changes.js';
import { poolOptions } from './options.js';
import { SqlAdapter } from './sql/adapter.js';
import type { SqlStatement } from './sql/compile.js';
import { mysqlDialect } from './sql/dialects.js';
import type { SqlDriver, SqlResult, SqlRunner, StageDriver } from './sql/driver.js';
import type { AdminRunner } from './provision.js';
import type { Adapter, ColumnType, NativeTable, SchemaInfo, SourceConfig, TableInfo } from './types.js';
import { isMoboError, MoboError } from '../runtime/index.js';

export function createMysqlAdapter(config: SourceConfig): Adapter {
  return new SqlAdapter(new MysqlDriver(config), () => new LocalChangeSource());
}

type Executor = Pick<mysql.Connection, 'execute'>;

/** Plain statements on one connection of an admin URL (provisioning: adapters/provision.ts). */
export async function openAdmin(url: string): Promise<AdminRunner> {
  const connection = await mysql.createConnection(url).catch((err: unknown) => {
    throw new MoboError('DS_UNAVAILABLE', 'Cannot reach the MySQL server', { cause: err });
  });
  connection.on('error', () => undefined);
  return {
    run: async (sql, params = []) => (await connection.query(sql, params))[0] as Array<Record<string, unknown>>,
    close: () => connection.end(),
  };
}

const COLUMNS = `
SELECT c.TABLE_NAME AS t, c.COLUMN_NAME AS c, c.DATA_TYPE AS dt, c.COLUMN_TYPE AS ct, c.IS_NULLABLE AS nullable,
       c.COLUMN_DEFAULT AS dflt, c.EXTRA AS extra, k.ORDINAL_POSITION AS key_position
FROM information_schema.COLUMNS c
JOIN information_schema.TABLES tb ON tb.TABLE_SCHEMA = c.TABLE_SCHEMA AND tb.TABLE_NAME = c.TABLE_NAME AND tb.TABLE_TYPE = 'BASE TABLE'
LEFT JOIN information_schema.KEY_COLUMN_USAGE k
  ON k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME AND k.COLUMN_NAME = c.COLUMN_NAME AND k.CONSTRAINT_NAME = 'PRIMARY'
WHERE c.TABLE_SCHEMA = DATABASE()
ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`;

/** MariaDB's JSON is LONGTEXT with a json_valid() check; MySQL's is a type of its own. */
const JSON_CHECKS = `SELECT TABLE_NAME AS t, CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()`;

class MysqlDriver implements SqlDriver {
  readonly kind = 'mysql';
  readonly dialect = mysqlDialect;
  readonly runner: SqlRunner;
  readonly readRetries: number;
  /** Off: InnoDB has no transaction-local lock timeout, so one blocked insert would hold a whole group. */
  readonly groupCommit = false;
  readonly maxNameBytes = 64;
  private readonly pool: BudgetPool<mysql.Connection>;
  private readonly budget: ServerBudget;

  /** A `stage` driver (a restore's) creates and fills tables with foreign-key checks off, in any order. */
  constructor(
    private readonly config: SourceConfig,
    stage = false,
  ) {
    const options = poolOptions(config);
    this.readRetries = options.max;
    const url = new URL(config.url);
    const server = `${url.hostname}:${url.port || '3306'}`;
    this.budget = serverBudget(server, config.budget);
    const connection: mysql.ConnectionOptions = {
      uri: config.url,
      ...(config.namespace ? { database: config.namespace } : {}),
      connectTimeout: options.connectTimeoutMs,
      timezone: 'Z',
      dateStrings: false,
      supportBigNumbers: true,
      decimalNumbers: true,
      jsonStrings: true,
      maxPreparedStatements: 512,
      charset: 'utf8mb4',
    };
    const database = config.namespace ?? url.pathname.slice(1);
    this.pool = new BudgetPool<mysql.Connection>(this.budget, {
      tenant: `${server}/${database}`,
      // The selected database and a stage's session setting are connection state: only equal ones are interchangeable.
      target: createHash('sha256').update(JSON.stringify([config.url, database, stage])).digest('hex'),
      max: options.max,
      idleTimeoutMs: options.idleTimeoutMs,
      open: () => this.openConnection(connection, stage),
      close: (c) => c.end(),
    });
    this.runner = { inTransaction: false, run: (statement) => this.autocommit(statement) };
  }

  /** A new connection; the first one reads the server's max_connections when no budget is configured. */
  private async openConnection(options: mysql.ConnectionOptions, stage: boolean): Promise<mysql.Connection> {
    const connection = await mysql.createConnection(options).catch((err: unknown) => {
      throw mysqlError(err);
    });
    // A connection that dies while idle is dropped; one in use reports through its statement.
    connection.on('error', () => this.pool.discard(connection));
    try {
      if (stage) await connection.query('SET SESSION foreign_key_checks = 0');
      if (this.budget.wantsServerLimit) {
        const [rows] = await connection.query('SELECT @@max_connections AS max');
        // One connection above max_connections is kept for an administrator (SUPER / CONNECTION ADMIN).
        const max = Number((rows as Array<{ max?: unknown }>)[0]?.max);
        if (Number.isFinite(max)) this.budget.serverLimit(max, 1);
      }
    } catch (err) {
      connection.destroy();
      throw mysqlError(err);
    }
    return connection;
  }

  /** One connection of this source's share of the budget (DS_BUSY when it stays spent). */
  private lease(): Promise<PoolConnection<mysql.Connection>> {
    return this.pool.connect().catch((err: unknown) => {
      throw isMoboError(err) ? err : mysqlError(err);
    });
  }

  async connect(): Promise<void> {}

  async close(): Promise<void> {
    await this.pool.end();
  }

  transaction<T>(fn: (runner: SqlRunner) => Promise<T>): Promise<T> {
    return this.inTransaction(['START TRANSACTION'], fn);
  }

  async session<T>(fn: (runner: SqlRunner) => Promise<T>): Promise<T> {
    const { client, release } = await this.lease();
    try {
      return await fn({ inTransaction: false, run: (statement) => this.query(client, statement) });
    } finally {
      // Whatever session state fn left goes with the connection.
      release(true);
    }
  }

  /** InnoDB: the read view is created by START TRANSACTION itself (REPEATABLE READ, the level it needs). */
  snapshot<T>(fn: (runner: SqlRunner) => Promise<T>): Promise<T> {
    return this.inTransaction(['SET TRANSACTION ISOLATION LEVEL REPEATABLE READ', 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY'], fn);
  }

  /** fn on a connection of its own after the `begin` statements, then COMMIT (ROLLBACK when it throws). */
  private async inTransaction<T>(begin: readonly string[], fn: (runner: SqlRunner) => Promise<T>): Promise<T> {
    const { client: connection, release } = await this.lease();
    let broken = false;
    const runner: SqlRunner = { inTransaction: true, run: (statement) => this.query(connection, statement) };
    try {
      for (const sql of begin) {
        await connection.query(sql).catch((err: unknown) => {
          throw mysqlError(err);
        });
      }
      let result: T;
      try {
        result = await fn(runner);
      } catch (err) {
        await connection.rollback().catch(() => void (broken = true));
        throw beforeCommit(err);
      }
      // The one statement whose loss leaves the transaction's outcome unknown.
      await connection.commit().catch((err: unknown) => {
        const failure = sentError(err);
        if (isMoboError(failure, 'DS_OUTCOME_UNKNOWN')) broken = true;
        throw failure;
      });
      return result;
    } finally {
      release(broken);
    }
  }

  async loadSchema(runner = this.runner): Promise<SchemaInfo> {
    const [{ rows }, { rows: checks }] = await Promise.all([
      runner.run({ sql: COLUMNS, params: [] }),
      runner.run({ sql: JSON_CHECKS, params: [] }),
    ]);
    const jsonColumns = new Set(
      checks.flatMap((r) => {
        const column = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(String(r['clause']))?.[1];
        return column ? [`${String(r['t'])}.${column.replace(/``/g, '`')}`] : [];
      }),
    );
    const tables = new Map<string, TableInfo & { keyOrder: Array<[string, number]> }>();
    for (const r of rows) {
      const name = String(r['t']);
      let table = tables.get(name);
      if (!table) tables.set(name, (table = { name, columns: [], primaryKey: [], keyOrder: [] }));
      const column = String(r['c']);
      const nativeType = String(r['ct']);
      table.columns.push({
        name: column,
        type: jsonColumns.has(`${name}.${column}`) ? 'json' : mysqlType(String(r['dt']), nativeType),
        nativeType,
        nullable: r['nullable'] === 'YES',
        hasDefault: (r['dflt'] !== null && r['dflt'] !== 'NULL') || /auto_increment/i.test(String(r['extra'])),
      });
      if (r['key_position'] !== null) table.keyOrder.push([column, Number(r['key_position'])]);
    }
    return {
      tables: [...tables.values()].map(({ keyOrder, ...table }) => ({ ...table, primaryKey: keyOrder.sort((a, b) => a[1] - b[1]).map(([k]) => k) })),
    };
  }

  tableRef(table: string): string {
    return this.dialect.quote(table);
  }

  /**
   * pool.execute in its two steps, so a failure to get a connection (nothing sent:
   * DS_UNAVAILABLE) is told from a connection lost under a sent statement (DS_OUTCOME_UNKNOWN).
   */
  private async autocommit(statement: SqlStatement): Promise<SqlResult> {
    const { client, release } = await this.lease();
    let lost = false;
    try {
      return await this.query(client, statement);
    } catch (err) {
      lost = isMoboError(err, 'DS_OUTCOME_UNKNOWN');
      throw err;
    } finally {
      release(lost);
    }
  }

  /** SHOW CREATE TABLE: columns, defaults, AUTO_INCREMENT position, keys, checks, foreign keys and indexes in one statement. */
  async describe(runner: SqlRunner, tables: readonly TableInfo[]): Promise<Map<string, NativeTable>> {
    const natives = new Map<string, NativeTable>();
    for (const { name } of tables) {
      const { rows } = await runner.run({ sql: `SHOW CREATE TABLE ${this.tableRef(name)}`, params: [] });
      natives.set(name, { backend: 'mysql', create: [String(rows[0]!['Create Table'])], after: [], foreignKeys: [], sequences: [] });
    }
    return natives;
  }

  /** The AUTO_INCREMENT position travels in the CREATE TABLE text. */
  async setSequence(): Promise<void> {}

  /**
   * A database of its own beside this one (same character set and collation). The swap is one
   * RENAME TABLE, atomic across tables: the replaced tables move to a scratch database (then
   * dropped), the staged ones into this one.
   */
  async openStage(): Promise<StageDriver> {
    const stage = stageName(this.config.namespace ?? new URL(this.config.url).pathname.slice(1));
    const hex = randomBytes(6).toString('hex');
    const { rows } = await this.runner.run({
      sql: 'SELECT DATABASE() AS db, DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()',
      params: [],
    });
    const live = String(rows[0]!['db']);
    const ddl = (sql: string) => this.runner.run({ sql, params: [] });
    await ddl(`CREATE DATABASE ${stage} CHARACTER SET ${String(rows[0]!['cs'])} COLLATE ${String(rows[0]!['co'])}`);
    const driver = new MysqlDriver({ ...this.config, namespace: stage }, true);
    const q = (db: string, table: string) => `${this.dialect.quote(db)}.${this.dialect.quote(table)}`;
    return {
      driver,
      swap: async (tables, beforeCommit) => {
        const replaced = `mobo_replaced_${hex}`;
        const { rows: present } = await this.runner.run({
          sql: `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (${tables.map(() => '?').join(', ')})`,
          params: [...tables],
        });
        await ddl(`CREATE DATABASE ${replaced}`);
        try {
          const moves = [...present.map((r) => `${q(live, String(r['name']))} TO ${q(replaced, String(r['name']))}`), ...tables.map((t) => `${q(stage, t)} TO ${q(live, t)}`)];
          await beforeCommit();
          await ddl(`RENAME TABLE ${moves.join(', ')}`);
        } finally {
          await this.transaction(async (runner) => {
            await runner.run({ sql: 'SET SESSION foreign_key_checks = 0', params: [] });
            await runner.run({ sql: `DROP DATABASE IF EXISTS ${replaced}`, params: [] });
            await runner.run({ sql: 'SET SESSION foreign_key_checks = 1', params: [] });
          });
        }
      },
      discard: async () => {
        await driver.close().catch(() => undefined);
        await ddl(`DROP DATABASE IF EXISTS ${stage}`);
      },
    };
  }

  private async query(on: Executor, statement: SqlStatement): Promise<SqlResult> {
    try {
      const [result] = await on.execute(statement.sql, statement.params as never[]);
      if (Array.isArray(result)) return { rows: result as Record<string, unknown>[], affected: result.length };
      const header = result as mysql.ResultSetHeader;
      return { rows: [], affected: header.affectedRows, insertId: header.insertId };
    } catch (err) {
      throw sentError(err);
    }
  }
}

function mysqlType(dataType: string, columnType: string): ColumnType {
  const t = dataType.toLowerCase();
  if (columnType.toLowerCase().startsWith('tinyint(1)') || t === 'boolean' || t === 'bool') return 'boolean';
  if (/int$/.test(t)) return 'integer';
  if (/^(float|double|decimal|real)$/.test(t)) return 'float';
  if (/^(datetime|timestamp|date)$/.test(t)) return 'timestamp';
  if (t === 'json') return 'json';
  if (/blob$|binary$/.test(t)) return 'bytes';
  if (t === 'uuid' || columnType.toLowerCase() === 'char(36)') return 'uuid';
  return 'text';
}

const CONFLICT = new Set([1062, 1050, 1213, 1205]);
const CONSTRAINT = new Set([1048, 1364, 1451, 1452, 3819, 4025]);
const VALUE_INVALID = new Set([1366, 1264, 1292, 1406, 3140, 1265, 1411, 4038]);
const UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'POOL_CLOSED', 'ER_SERVER_SHUTDOWN']);

/** mysql2 errors → DS_* (the one place for MySQL/MariaDB). Messages never carry SQL or values. */
function mysqlError(err: unknown): MoboError {
  if (err instanceof MoboError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as { errno?: number; code?: string; sqlMessage?: string; fatal?: boolean };
  const errno = e.errno ?? 0;
  const column = /column '([^']+)'/i.exec(e.sqlMessage ?? '')?.[1];
  const details = column ? { column } : undefined;
  if (errno === 1062 || errno === 1050) return new MoboError('DS_CONFLICT', undefined, { details, cause: err });
  if (CONFLICT.has(errno)) return new MoboError('DS_CONFLICT', 'The transaction conflicted with another; retry', { cause: err });
  if (CONSTRAINT.has(errno)) return new MoboError('DS_CONSTRAINT', undefined, { details, cause: err });
  if (VALUE_INVALID.has(errno)) return new MoboError('DS_VALUE_INVALID', undefined, { details, cause: err });
  if (errno === 1146) return new MoboError('DS_TABLE_NOT_FOUND', undefined, { cause: err });
  if (errno === 1054) return new MoboError('DS_COLUMN_NOT_FOUND', undefined, { cause: err });
  if (UNAVAILABLE.has(e.code ?? '') || e.fatal === true || errno === 1927 || errno === 2013 || errno === 2006) {
    return new MoboError('DS_UNAVAILABLE', undefined, { cause: err });
  }
  return new MoboError('DS_QUERY_INVALID', 'The data source rejected the query', { cause: err });
}

/**
 * The error of a statement that reached a connection: a lock wait or a refused statement is
 * the server's answer, a connection that broke under it leaves the outcome unknown
 * (adapters/outcome.ts).
 */
function sentError(err: unknown): MoboError {
  const mapped = mysqlError(err);
  return isMoboError(mapped, 'DS_UNAVAILABLE') && !(err instanceof MoboError) ? outcomeUnknown(err) : mapped;
}
