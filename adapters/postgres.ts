/**
 * Postgres through pg (the only file importing it): a Pool sized by `pool.max`, tables in the
 * schema named by `namespace` (default `public`). Every pool and client has an 'error' handler,
 * so a backend killed under us (pg_terminate_backend, a server restart) never crashes the
 * process: idle clients are dropped, the failing query is DS_UNAVAILABLE, the next gets a fresh
 * connection. Change feed: triggers + LISTEN/NOTIFY (postgres-feed.ts), so it sees every
 * committed change, whoever made it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { stageName } from './sql/stage.js';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { beforeCommit, outcomeUnknown } from './outcome.js';
import { SqlAdapter } from './sql/adapter.js';
import type { SqlStatement } from './sql/compile.js';
import { postgresDialect } from './sql/dialects.js';
import type { NativeSequence, SqlDriver, SqlResult, SqlRunner, StageDriver } from './sql/driver.js';
import { describePostgres } from './sql/postgres-native.js';
import { poolOptions } from './options.js';
import { PostgresChangeFeed, SIDE_TABLE } from './postgres-feed.js';
import type { ListenConnection } from './postgres-feed.js';
import { BudgetPool } from './budget-pool.js';
import type { AdminRunner } from './provision.js';
import { sharedListen } from './listen-hub.js';
import { postgresTarget, type PostgresTarget } from './postgres-url.js';
import { serverBudget, type ServerBudget } from './server-budget.js';
import { directRelay } from './capture.js';
import { PostgresChanges } from './postgres-changes.js';
import { captureNames, dropCapture, takeOverSlot, type CaptureNames } from './postgres-capture-setup.js';
import { PostgresLogicalReader } from './postgres-logical.js';
import { claimReplication } from './replication-share.js';
import type { Adapter, AdapterDeps, ColumnInfo, ColumnType, NativeTable, SchemaInfo, SourceConfig, SourceConnections, TableInfo } from './types.js';
import { isMoboError, MoboError } from '../runtime/index.js';

/** The application_name of pooled connections unless the URL sets one. */
const APPLICATION_NAME = 'mobo:data';

/** Which connections are interchangeable: the same URL (database, role, password, parameters) and session options. A hash, so no credential is kept in it. */
function connectionTarget(config: pg.ClientConfig): string {
  return createHash('sha256').update(JSON.stringify([config.connectionString, config.options ?? '', config.application_name])).digest('hex');
}

export function createPostgresAdapter(config: SourceConfig, deps: AdapterDeps = {}): Adapter {
  const driver = new PostgresDriver(config);
  const relay = deps.changeRelay ?? directRelay;
  return new SqlAdapter(
    driver,
    ({ schema, runner }) =>
      new PostgresChanges({
        // Logical capture makes a slot, which someone must own: a source without a capture key (not
        // started by the catalog) keeps triggers unless it asks for more.
        mode: config.changes ?? (config.captureKey ? 'auto' : 'trigger'),
        key: config.captureKey ?? `${driver.feedTarget.server}/${driver.feedTarget.database}/${driver.namespace}`,
        namespace: driver.namespace,
        runner,
        schema,
        relay,
        trigger: () => new PostgresChangeFeed(driver.namespace, runner, schema, (onNotify, onLost) => driver.listen(onNotify, onLost)),
        reader: (names) => driver.logicalReader(names, runner, !relay.durable),
        claimReader: () => claimReplication(serverBudget(driver.feedTarget.server, config.budget)),
      }),
  );
}

/** Drops a source's slot and publication (the source is removed: a slot nobody reads holds WAL forever). */
export async function dropPostgresCapture(config: SourceConfig, key: string): Promise<void> {
  const admin = await openAdmin(config.feedUrl ?? config.url);
  try {
    await dropCapture({ inTransaction: false, run: async (statement) => ({ rows: await admin.run(statement.sql, statement.params), affected: 0 }) }, captureNames(key));
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** Plain statements on one connection of an admin URL (provisioning: adapters/provision.ts). */
export async function openAdmin(url: string): Promise<AdminRunner> {
  const client = new pg.Client({ connectionString: postgresTarget(url).connectionString, application_name: 'mobo:provision' });
  client.on('error', () => undefined);
  await client.connect().catch(async (err: unknown) => {
    await client.end().catch(() => undefined);
    throw postgresError(err);
  });
  return {
    run: async (sql, params = []) => (await client.query(sql, params).catch((err: unknown) => Promise.reject(postgresError(err)))).rows as Array<Record<string, unknown>>,
    close: () => client.end(),
  };
}

const INTROSPECT = `
SELECT cl.relname AS table_name, a.attname AS column_name, t.typname AS udt, format_type(a.atttypid, a.atttypmod) AS native,
       NOT a.attnotnull AS nullable, (a.atthasdef OR a.attidentity <> '') AS has_default,
       COALESCE((SELECT sq.seqincrement > 0 AND NOT sq.seqcycle FROM pg_sequence sq
                 WHERE sq.seqrelid = pg_get_serial_sequence(format('%I.%I', n.nspname, cl.relname), a.attname)::regclass), false) AS from_sequence,
       (SELECT k.ord FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) WHERE k.attnum = a.attnum) AS key_position
FROM pg_class cl
JOIN pg_namespace n ON n.oid = cl.relnamespace
JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_index i ON i.indrelid = cl.oid AND i.indisprimary
WHERE n.nspname = $1 AND cl.relkind IN ('r', 'p') AND cl.relname <> $2
ORDER BY cl.relname, a.attnum`;

class PostgresDriver implements SqlDriver {
  readonly kind = 'postgres';
  readonly dialect = postgresDialect;
  readonly namespace: string;
  readonly runner: SqlRunner;
  readonly readRetries: number;
  readonly groupCommit = true;
  readonly maxNameBytes = 63;
  /** Names this adapter's connections in pg_stat_activity (a URL's own application_name wins): they serve every source of their database and role. */
  readonly applicationName: string;
  readonly pool: BudgetPool<pg.Client>;
  private readonly target: PostgresTarget;
  private readonly budget: ServerBudget;

  /** With `searchPath`, every connection resolves unqualified names there (a restore's stage). */
  constructor(
    private readonly config: SourceConfig,
    searchPath?: string,
  ) {
    const options = poolOptions(config);
    this.target = postgresTarget(config.url);
    this.namespace = config.namespace ?? this.target.schema ?? 'public';
    this.readRetries = options.max;
    this.applicationName = APPLICATION_NAME;
    this.budget = serverBudget(this.target.server, config.budget);
    const clientConfig: pg.ClientConfig = {
      connectionString: this.target.connectionString,
      application_name: this.applicationName,
      connectionTimeoutMillis: options.connectTimeoutMs,
      ...(searchPath ? { options: `-c search_path=${searchPath}` } : {}),
    };
    this.pool = new BudgetPool<pg.Client>(this.budget, {
      tenant: `${this.target.server}/${this.target.database}/${this.namespace}`,
      // Every statement names its schema, so sources that differ only in schema share connections.
      target: connectionTarget(clientConfig),
      max: options.max,
      idleTimeoutMs: options.idleTimeoutMs,
      open: () => this.openClient(clientConfig),
      close: (client) => client.end(),
    });
    this.runner = { inTransaction: false, run: (statement) => this.autocommit(statement) };
  }

  /** A new connection; the first one reads the server's max_connections when no budget is configured. */
  private async openClient(clientConfig: pg.ClientConfig): Promise<pg.Client> {
    const client = new pg.Client(clientConfig);
    // A connection that dies while idle is dropped; one in use reports through its query.
    client.on('error', () => this.pool.discard(client));
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw postgresError(err);
    }
    if (this.budget.wantsServerLimit) {
      const { rows } = await client.query<{ max: string; reserved: string }>(
        "SELECT current_setting('max_connections') AS max, current_setting('superuser_reserved_connections') AS reserved",
      ).catch(() => ({ rows: [] as { max: string; reserved: string }[] }));
      if (rows[0]) this.budget.serverLimit(Number(rows[0].max), Number(rows[0].reserved));
    }
    return client;
  }

  async connect(): Promise<void> {}

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** This source's pool and its server's budget, for status and metrics. */
  connections(): SourceConnections {
    return { server: this.target.server, ...this.pool.stats() };
  }

  transaction<T>(fn: (runner: SqlRunner) => Promise<T>): Promise<T> {
    return this.inTransaction('BEGIN', fn);
  }

  async session<T>(fn: (runner: SqlRunner) => Promise<T>): Promise<T> {
    // A session lock and session settings need one server connection throughout: behind a pooler in
    // transaction mode, the server itself (feedUrl), as the feed and a restore's stage do.
    const { feedUrl, ...config } = this.config;
    if (feedUrl && feedUrl !== config.url) {
      const direct = new PostgresDriver({ ...config, url: feedUrl });
      try {
        return await direct.session(fn);
      } finally {
        await direct.close();
      }
    }
    const lease = await this.pool.connect();
    try {
      return await fn({ inTransaction: false, run: (statement) => this.query(lease.client, statement) });
    } finally {
      lease.release(true);
    }
  }

  /** One round trip: BEGIN and the lock timeout go as one simple-protocol query (no parameters). */
  groupTransaction<T>(fn: (runner: SqlRunner) => Promise<T>): Promise<T> {
    return this.inTransaction("BEGIN; SET LOCAL lock_timeout = '1s'", fn);
  }

  /**
   * The snapshot is taken at the first statement after BEGIN and holds for the whole
   * transaction. Its settings make a dump portable: names relative to the source schema
   * (describePostgres), COPY text with ISO UTC timestamps and hex bytea (copy-text.ts).
   */
  snapshot<T>(fn: (runner: SqlRunner) => Promise<T>): Promise<T> {
    return this.inTransaction(`BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; ${this.dumpSettings()}`, fn);
  }

  /**
   * The snapshot exported (pg_export_snapshot) and imported by transactions of their own, with
   * the same settings: a dump reads several tables at once and still sees one moment.
   */
  async snapshotPeers<T>(runner: SqlRunner, count: number, fn: (peers: SqlRunner[]) => Promise<T>): Promise<T> {
    // The pool's other connections: with the snapshot's own held, a wait for more would never end.
    const spare = Math.min(count, poolOptions(this.config).max - 1);
    if (spare <= 0) return fn([]);
    const { rows } = await runner.run({ sql: 'SELECT pg_export_snapshot() AS id', params: [] });
    const id = String(rows[0]?.['id'] ?? '');
    // The server makes snapshot ids of hex digits and dashes; anything else is not put in SQL.
    if (!/^[0-9A-Fa-f-]+$/.test(id)) return fn([]);
    const open = (left: number, peers: SqlRunner[]): Promise<T> => {
      if (left === 0) return fn(peers);
      let joined = false;
      return this.inTransaction(`BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT '${id}'; ${this.dumpSettings()}`, (peer) => {
        joined = true;
        return open(left - 1, [...peers, peer]);
      }).catch((err: unknown) => {
        // No connection (pool or server budget spent): the ones there are do the work.
        if (joined) throw err;
        return fn(peers);
      });
    };
    return open(spare, []);
  }

  private dumpSettings(): string {
    return (
      `SET LOCAL search_path = ${this.dialect.quote(this.namespace)}; ` +
      "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL bytea_output = 'hex'; SET LOCAL extra_float_digits = 1"
    );
  }

  /** fn on a client of its own between `begin` and COMMIT (ROLLBACK when it throws). */
  private async inTransaction<T>(begin: string, fn: (runner: SqlRunner) => Promise<T>): Promise<T> {
    const lease = await this.pool.connect();
    const client = lease.client;
    let lost: unknown;
    const onError = (err: unknown): void => void (lost = err);
    client.on('error', onError);
    const runner: SqlRunner = { inTransaction: true, run: (statement) => this.query(client, statement), copyOut: (sql) => copyOut(client, sql) };
    try {
      let result: T;
      try {
        await runner.run({ sql: begin, params: [] });
        result = await fn(runner);
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => void (lost ??= rollbackError));
        throw beforeCommit(err);
      }
      // The one statement whose loss leaves the outcome unknown (query() says DS_OUTCOME_UNKNOWN).
      await runner.run({ sql: 'COMMIT', params: [] }).catch((err: unknown) => {
        if (isMoboError(err, 'DS_OUTCOME_UNKNOWN')) lost ??= err;
        throw err;
      });
      return result;
    } finally {
      client.off('error', onError);
      lease.release(lost !== undefined);
    }
  }

  async loadSchema(runner = this.runner): Promise<SchemaInfo> {
    const { rows } = await runner.run({ sql: INTROSPECT, params: [this.namespace, SIDE_TABLE] });
    const tables = new Map<string, TableInfo & { keyOrder: Map<string, number> }>();
    for (const r of rows) {
      const name = String(r['table_name']);
      let table = tables.get(name);
      if (!table) tables.set(name, (table = { name, columns: [], primaryKey: [], keyOrder: new Map() }));
      const column: ColumnInfo = {
        name: String(r['column_name']),
        type: postgresType(String(r['udt'])),
        nativeType: String(r['native']),
        nullable: r['nullable'] === true,
        hasDefault: r['has_default'] === true,
        ...(r['from_sequence'] === true ? { fromSequence: true as const } : {}),
      };
      table.columns.push(column);
      if (r['key_position'] !== null) table.keyOrder.set(column.name, Number(r['key_position']));
    }
    return {
      tables: [...tables.values()].map(({ keyOrder, ...table }) => ({
        ...table,
        primaryKey: [...keyOrder.entries()].sort((a, b) => a[1] - b[1]).map(([k]) => k),
      })),
    };
  }

  tableRef(table: string): string {
    return `${this.dialect.quote(this.namespace)}.${this.dialect.quote(table)}`;
  }

  async afterRestore(table: TableInfo): Promise<void> {
    const key = table.primaryKey.length === 1 ? table.columns.find((c) => c.name === table.primaryKey[0]) : undefined;
    if (!key || key.type !== 'integer' || !key.hasDefault) return;
    const ref = this.tableRef(table.name);
    const column = this.dialect.quote(key.name);
    await this.runner.run({
      sql: `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT MAX(${column}) FROM ${ref}), 1)) WHERE pg_get_serial_sequence($1, $2) IS NOT NULL`,
      params: [ref, key.name],
    });
  }

  describe(runner: SqlRunner): Promise<Map<string, NativeTable>> {
    return describePostgres(runner, this.namespace);
  }

  copyOutSql(table: TableInfo): { sql: string; columns: string[] } {
    const columns = table.columns.map((c) => c.name);
    return { sql: `COPY ${this.tableRef(table.name)} (${columns.map((c) => this.dialect.quote(c)).join(', ')}) TO STDOUT`, columns };
  }

  /** COPY FROM on a pooled connection; answers the rows it loaded (COPY's command tag). */
  async copyIn(ref: string, columns: readonly string[], data: AsyncIterable<string>): Promise<number> {
    const lease = await this.pool.connect();
    const client = lease.client;
    let failed: unknown;
    try {
      const sql = `COPY ${ref} (${columns.map((c) => this.dialect.quote(c)).join(', ')}) FROM STDIN`;
      const copy = client.query(copyFrom(sql));
      await pipeline(Readable.from(buffers(data)), copy);
      return copy.rowCount;
    } catch (err) {
      failed = err;
      throw postgresError(err);
    } finally {
      lease.release(failed !== undefined && isConnectionError(failed));
    }
  }

  async setSequence(sequence: NativeSequence): Promise<void> {
    await this.runner.run({ sql: 'SELECT pg_catalog.setval($1::regclass, $2::bigint, $3)', params: [sequence.name, sequence.value, sequence.called] });
  }

  /**
   * A schema of its own beside the namespace, reached through search_path. The swap moves the
   * replaced tables out and the staged ones in (SET SCHEMA carries indexes, constraints and
   * owned sequences) in one transaction, then drops the replaced ones.
   */
  async openStage(): Promise<StageDriver> {
    const stage = stageName(this.namespace);
    const run = (runner: SqlRunner, sql: string, params: unknown[] = []) => runner.run({ sql, params });
    await run(this.runner, `CREATE SCHEMA ${stage}`);
    // The stage resolves names through search_path, a session setting: behind a pooler in
    // transaction mode it goes to the server directly (feedUrl), as the feed does.
    const driver = new PostgresDriver({ ...this.config, url: this.config.feedUrl ?? this.config.url, namespace: stage }, stage);
    return {
      driver,
      copyStreams: poolOptions(this.config).max,
      swap: (tables, beforeCommit) =>
        this.transaction(async (runner) => {
          const replaced = `mobo_replaced_${randomBytes(6).toString('hex')}`;
          const { rows } = await run(runner, "SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = ANY($2) AND c.relkind IN ('r', 'p')", [this.namespace, tables]);
          await run(runner, `CREATE SCHEMA ${replaced}`);
          for (const { name } of rows) await run(runner, `ALTER TABLE ${this.tableRef(String(name))} SET SCHEMA ${replaced}`);
          for (const table of tables) await run(runner, `ALTER TABLE ${stage}.${this.dialect.quote(table)} SET SCHEMA ${this.dialect.quote(this.namespace)}`);
          await beforeCommit();
          await run(runner, `DROP SCHEMA ${replaced} CASCADE`);
        }),
      discard: async () => {
        await driver.close().catch(() => undefined);
        await run(this.runner, `DROP SCHEMA IF EXISTS ${stage} CASCADE`);
      },
    };
  }

  /** Where the change feed connects: `feedUrl` when set (the data URL points at a pooler in transaction mode). */
  get feedTarget(): PostgresTarget {
    return this.config.feedUrl ? postgresTarget(this.config.feedUrl) : this.target;
  }

  /** A logical replication reader of this source's slot, its connection under the server's budget. */
  logicalReader(names: CaptureNames, runner: SqlRunner, temporarySlot: boolean): PostgresLogicalReader {
    const target = this.feedTarget;
    return new PostgresLogicalReader({
      connectionString: target.connectionString,
      connectTimeoutMs: poolOptions(this.config).connectTimeoutMs,
      names,
      namespace: this.namespace,
      budget: serverBudget(target.server, this.config.budget),
      tenant: `${target.server}/${target.database}/${names.slot}`,
      takeOver: () => takeOverSlot(runner, names),
      temporarySlot,
    });
  }

  /**
   * The LISTEN connection of this database, shared with every other source of this process on
   * it (listen-hub.ts); on `feedUrl` when set (the data URL points at a pooler in transaction
   * mode, where LISTEN does not hold). It takes a permit of the budget like any connection.
   */
  listen(onNotify: (payload: string) => void, onLost: (err: unknown) => void): Promise<ListenConnection> {
    const target = this.feedTarget;
    return sharedListen(`${target.server}/${target.database}`, (notify, lost) => this.openListen(target, notify, lost), onNotify, onLost);
  }

  private async openListen(target: PostgresTarget, onNotify: (payload: string) => void, onLost: (err: unknown) => void): Promise<ListenConnection> {
    const budget = serverBudget(target.server, this.config.budget);
    const holder = { tenant: `${target.server}/${target.database}/listen` };
    await budget.acquire(holder);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      budget.release(holder);
    };
    const client = new pg.Client({
      connectionString: target.connectionString,
      application_name: 'mobo:listen',
      connectionTimeoutMillis: poolOptions(this.config).connectTimeoutMs,
    });
    client.once('end', release);
    let lost = false;
    const fail = (err: unknown): void => {
      if (lost) return;
      lost = true;
      onLost(err);
    };
    client.on('error', fail);
    client.on('end', () => fail(new MoboError('DS_UNAVAILABLE', 'The listen connection ended')));
    client.on('notification', (message) => {
      if (message.payload !== undefined) onNotify(message.payload);
    });
    try {
      await client.connect();
      await client.query('LISTEN mobo_changes');
    } catch (err) {
      lost = true;
      await client.end().catch(() => undefined);
      release();
      throw postgresError(err);
    }
    return {
      close: async () => {
        lost = true;
        await client.end().catch(() => undefined);
        release();
      },
    };
  }

  /**
   * Callback style: pg's promise form on a checked-out client holds each result long enough for
   * page after page to be promoted to the old generation (a 100k-row dump in one transaction
   * ran 6 mark-compacts instead of 1, ~15% slower); the callback form, which pool.query uses,
   * does not.
   */
  private query(on: pg.Client, statement: SqlStatement): Promise<SqlResult> {
    return new Promise((resolve, reject) => {
      const done = (err: Error | undefined, result: pg.QueryResult): void => {
        if (err) reject(sentError(err));
        else resolve({ rows: result.rows as Record<string, unknown>[], affected: result.rowCount ?? 0 });
      };
      try {
        on.query(statement.sql, statement.params, done);
      } catch (err) {
        reject(postgresError(err));
      }
    });
  }

  /**
   * One statement on a pooled connection, in two steps, so a failure to get a connection
   * (nothing sent: DS_UNAVAILABLE, or DS_BUSY when the budget is spent) is told from a
   * connection lost under a sent statement (DS_OUTCOME_UNKNOWN: Postgres may finish and commit
   * it without noticing the client went).
   */
  private async autocommit(statement: SqlStatement): Promise<SqlResult> {
    const lease = await this.pool.connect();
    try {
      const result = await this.query(lease.client, statement);
      lease.release();
      return result;
    } catch (err) {
      lease.release(isConnectionError((err as MoboError).cause ?? err));
      throw err;
    }
  }
}

/** `COPY … TO STDOUT` on a checked-out client, its errors mapped. */
async function* copyOut(client: pg.Client, sql: string): AsyncIterable<Buffer> {
  try {
    for await (const chunk of client.query(copyTo(sql))) yield chunk as Buffer;
  } catch (err) {
    throw postgresError(err);
  }
}

async function* buffers(data: AsyncIterable<string>): AsyncIterable<Buffer> {
  for await (const text of data) yield Buffer.from(text, 'utf8');
}

function postgresType(udt: string): ColumnType {
  if (/^int[248]$/.test(udt)) return 'integer';
  if (/^(float[48]|numeric)$/.test(udt)) return 'float';
  if (udt === 'bool') return 'boolean';
  if (/^(timestamptz|timestamp|date)$/.test(udt)) return 'timestamp';
  if (udt === 'json' || udt === 'jsonb') return 'json';
  if (udt === 'bytea') return 'bytes';
  if (udt === 'uuid') return 'uuid';
  return 'text';
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '53300']);

/** Why a connection could not be made, as a user can act on it (the server's own words stay in `cause`). */
const CONNECT_CAUSES: Record<string, { reason: string; message: string }> = {
  '53300': { reason: 'too_many_clients', message: 'The server has no connection slots left (too many clients)' },
  '3D000': { reason: 'database_missing', message: 'The database does not exist on that server' },
  '28P01': { reason: 'auth_failed', message: 'The server refused the user name or password' },
  '28000': { reason: 'auth_failed', message: 'The server refused this user (pg_hba.conf or role)' },
  ECONNREFUSED: { reason: 'refused', message: 'Nothing accepts connections at that host and port' },
  ENOTFOUND: { reason: 'host_not_found', message: 'The host name does not resolve' },
  ETIMEDOUT: { reason: 'timeout', message: 'The server did not answer in time' },
};

/** pg errors → DS_* (the one place for Postgres). Messages never carry SQL or values. */
function postgresError(err: unknown): MoboError {
  if (err instanceof MoboError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: string; column?: string; message?: string };
  const code = e.code ?? '';
  const connect = CONNECT_CAUSES[code];
  if (connect) return new MoboError('DS_UNAVAILABLE', connect.message, { details: { reason: connect.reason }, cause: err });
  const details = e.column ? { column: e.column } : undefined;
  if (code === '23505') return new MoboError('DS_CONFLICT', undefined, { details, cause: err });
  if (code.startsWith('23')) return new MoboError('DS_CONSTRAINT', undefined, { details, cause: err });
  if (code.startsWith('22')) return new MoboError('DS_VALUE_INVALID', undefined, { details, cause: err });
  if (code === '42P01') return new MoboError('DS_TABLE_NOT_FOUND', undefined, { cause: err });
  if (code === '42703') return new MoboError('DS_COLUMN_NOT_FOUND', undefined, { cause: err });
  if (code === '42P07') return new MoboError('DS_CONFLICT', 'A table with that name already exists', { cause: err });
  if (code === '40001' || code === '40P01') return new MoboError('DS_CONFLICT', 'The transaction conflicted with another; retry', { cause: err });
  // lock_not_available (lock_timeout, NOWAIT): another transaction holds what the statement needs; not a broken connection.
  if (code === '55P03') return new MoboError('DS_CONFLICT', 'Another transaction holds a lock this statement needed; retry', { details: { reason: 'locked' }, cause: err });
  if (isConnectionError(err)) return new MoboError('DS_UNAVAILABLE', undefined, { cause: err });
  return new MoboError('DS_QUERY_INVALID', 'The data source rejected the query', { cause: err });
}

function isConnectionError(err: unknown): boolean {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: string; message?: string };
  const code = e.code ?? '';
  // pg's own words for a pool or client that was closed (its actor stopping) under a request.
  return UNAVAILABLE_CODES.has(code) || code.startsWith('08') || /terminat|timeout|Connection|connect|pool after calling end|not queryable/i.test(e.message ?? '');
}

/**
 * The error of a statement that reached a connection. An ERROR from the server (a lock or
 * statement timeout among them) means the statement failed; a connection that broke or was
 * terminated (FATAL) under it leaves its outcome unknown (adapters/outcome.ts).
 */
function sentError(err: unknown): MoboError {
  const mapped = postgresError(err);
  const answered = (err as { severity?: unknown } | undefined)?.severity === 'ERROR';
  return isMoboError(mapped, 'DS_UNAVAILABLE') && !answered && !(err instanceof MoboError) ? outcomeUnknown(err) : mapped;
}
