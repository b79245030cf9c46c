import type { AdapterKind, NativeTable, Row, SchemaInfo, TableInfo } from '../types.js';
import type { SqlStatement } from './compile.js';
import type { SqlDialect } from './dialect.js';

export interface SqlResult {
  rows: Row[];
  affected: number;
  /** The generated key of the last inserted row, where the driver reports one. */
  insertId?: number;
}

/** Runs statements, on the pool (autocommit) or on one transaction's connection. */
export interface SqlRunner {
  readonly inTransaction: boolean;
  run(statement: SqlStatement): Promise<SqlResult>;
  /** Postgres: `COPY … TO STDOUT` on this runner's connection, as it streams. */
  copyOut?(sql: string): AsyncIterable<Buffer>;
}

/** Key generator position carried by a native definition. */
export type NativeSequence = NativeTable['sequences'][number];

/** What a staged restore needs of a backend (stage.ts). */
export interface StageDriver {
  /** A driver on the stage's namespace: native statements run there unqualified. */
  readonly driver: SqlDriver;
  /** Where the driver loads COPY: how many COPYs it can run at once (its pool's connections). */
  readonly copyStreams?: number;
  /** Moves the staged tables in place of the live ones of the same names, in one step. */
  swap(tables: readonly string[], beforeCommit: () => Promise<void>): Promise<void>;
  /** Drops the stage (its namespace or file) and closes its driver. */
  discard(): Promise<void>;
}

/**
 * What a SQL backend module provides to SqlAdapter: the only code that touches its driver.
 * Every method throws MoboError with DS_* codes (the driver's errors mapped in one place).
 */
export interface SqlDriver {
  readonly kind: AdapterKind;
  readonly dialect: SqlDialect;
  readonly runner: SqlRunner;
  /** Where the backend has schemas (Postgres): the source's own. */
  readonly namespace?: string;
  /**
   * How often a read outside a transaction is retried after DS_UNAVAILABLE: a pool may hand out
   * several connections killed at once before it notices (Postgres: the pool size).
   */
  readonly readRetries: number;
  /**
   * Whether concurrent autocommit inserts share one transaction (group-commit.ts): worth it
   * where each commit waits for a flush and connections are pooled (Postgres).
   */
  readonly groupCommit: boolean;
  /**
   * The transaction group commit runs its jobs in (default: `transaction`): where the backend
   * can, one that bounds lock waits, so one blocked job cannot hold the others.
   */
  groupTransaction?<T>(fn: (runner: SqlRunner) => Promise<T>): Promise<T>;
  /** Opens what needs opening before the first statement (pools connect lazily). */
  connect(): Promise<void>;
  close(): Promise<void>;
  transaction<T>(fn: (runner: SqlRunner) => Promise<T>): Promise<T>;
  /**
   * fn on one connection of its own, outside any transaction: fn sends BEGIN and COMMIT itself
   * (a migration run: one lock and many transactions on one connection). The connection is
   * closed after, so whatever session state fn left (settings, locks) never returns to the pool.
   */
  session<T>(fn: (runner: SqlRunner) => Promise<T>): Promise<T>;
  /**
   * Runs fn in a read-only transaction on a connection of its own, where every statement sees
   * the data as of one moment (dump() reads all tables in one): committed when fn resolves,
   * rolled back when it throws; the connection is released either way.
   */
  snapshot<T>(fn: (runner: SqlRunner) => Promise<T>): Promise<T>;
  /**
   * Postgres: fn with up to `count` more runners that see the snapshot of `runner` (one of
   * snapshot()'s), each on a connection of its own until fn settles; fewer when no more
   * connections can be had.
   */
  snapshotPeers?<T>(runner: SqlRunner, count: number, fn: (peers: SqlRunner[]) => Promise<T>): Promise<T>;
  /** The tables and their columns, read on `runner` (default: the driver's own). */
  loadSchema(runner?: SqlRunner): Promise<SchemaInfo>;
  /** The quoted (and, where the backend has namespaces, qualified) name of a known table. */
  tableRef(table: string): string;
  /** After rows with explicit keys were restored: move the key generator past them. */
  afterRestore?(table: TableInfo): Promise<void>;
  /** What is wrong with the stored data (Adapter.integrity); [] when sound. */
  integrity?(): Promise<string[]>;
  /** The longest identifier the backend takes, in bytes. */
  readonly maxNameBytes: number;
  /** The tables as the backend itself defines them, read on the dump's snapshot runner. */
  describe(runner: SqlRunner, tables: readonly TableInfo[]): Promise<Map<string, NativeTable>>;
  /** Postgres: the COPY statement dumping a table (rows then travel as COPY text). */
  copyOutSql?(table: TableInfo): { sql: string; columns: string[] };
  /** Postgres: loads COPY text into a table (`ref` quoted and qualified). */
  copyIn?(ref: string, columns: readonly string[], data: AsyncIterable<string>): Promise<number>;
  /** Puts a key generator of a native definition back where it was. */
  setSequence(sequence: NativeSequence): Promise<void>;
  /** A stage beside the live tables, for a restore. */
  openStage(): Promise<StageDriver>;
}
