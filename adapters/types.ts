import type { CaptureMode, CaptureStatus, ChangeRelay } from './capture.js';
/**
 * The one interface every data source implements (MagDS). Queries arrive as a typed AST
 * (`query.ts`), are checked against the introspected schema, and are compiled per backend
 * with every value bound as a parameter. Adapters throw MoboError with DS_* codes only.
 */
import type { Query, Filter, SortKey } from './query.js';
import type { RestCall, RestCallResult, RestRead, RestReadResult, RestWrite, RestWriteResult } from './rest-plan.js';

export type { Query, Filter, SortKey };

export type Row = Record<string, unknown>;

/** Portable column types; each adapter maps its native types onto these. */
export type ColumnType = 'text' | 'integer' | 'float' | 'boolean' | 'timestamp' | 'json' | 'bytes' | 'uuid';

export interface ColumnInfo {
  name: string;
  type: ColumnType;
  nativeType: string;
  nullable: boolean;
  hasDefault: boolean;
  /**
   * Its default draws the next value of a sequence that only counts up (Postgres serial or
   * identity owning a sequence with a positive increment and no CYCLE), where the backend says so.
   */
  fromSequence?: true;
}

export interface TableInfo {
  name: string;
  columns: ColumnInfo[];
  primaryKey: string[];
}

export interface SchemaInfo {
  tables: TableInfo[];
}

export type ChangeOp = 'INSERT' | 'UPDATE' | 'DELETE';

export interface ChangeEvent {
  table: string;
  op: ChangeOp;
  /** The row after the change (INSERT, UPDATE). */
  row?: Row;
  /** The row before the change, or at least its primary key (UPDATE, DELETE). */
  old?: Row;
  /** Epoch ms at the source when known, else when observed. */
  at: number;
}

export interface ChangeFeed {
  close(): Promise<void>;
}

export interface AdapterHealth {
  status: 'ok' | 'down';
  latencyMs?: number;
  details?: Record<string, unknown>;
}

export interface PoolOptions {
  max: number;
  idleTimeoutMs: number;
  connectTimeoutMs: number;
}

/** A transaction handle: the same CRUD surface, committed or rolled back as one. */
export interface DataOps {
  select(query: Query): Promise<Row[]>;
  count(query: Pick<Query, 'table' | 'where'>): Promise<number>;
  insert(table: string, rows: Row[], returning?: boolean): Promise<Row[]>;
  update(query: Pick<Query, 'table' | 'where'>, patch: Row, returning?: boolean): Promise<Row[]>;
  delete(query: Pick<Query, 'table' | 'where'>, returning?: boolean): Promise<Row[]>;
}

export interface Adapter extends DataOps {
  readonly kind: AdapterKind;
  connect(): Promise<void>;
  health(): Promise<AdapterHealth>;
  /**
   * A check of the stored data itself (SQLite: `PRAGMA quick_check` read from disk, not from
   * the connection's page cache): what is wrong, or [] when it is sound or the backend has
   * no such check.
   */
  integrity(): Promise<string[]>;
  close(): Promise<void>;
  introspect(refresh?: boolean): Promise<SchemaInfo>;
  /** Create a table from a portable definition (used by MagBridge copy and tests). */
  createTable(table: TableInfo): Promise<void>;
  dropTable(table: string): Promise<void>;
  /** Runs fn in one transaction; throws DS_UNSUPPORTED where the backend has none. */
  transaction<T>(fn: (tx: DataOps) => Promise<T>): Promise<T>;
  /** Change events for every table, at least for every change made through this adapter. */
  watch(onChange: (event: ChangeEvent) => void): Promise<ChangeFeed>;
  /** How the change feed captures (Postgres: logical replication or triggers), once it started. */
  captureStatus?(): CaptureStatus | undefined;
  /** Schema changes and migrations (the SQL backends; absent where the backend has no tables to shape). */
  readonly schemaEditor?: SchemaEditor;
  /** MagBackup hooks: a self-contained dump of every table, and its restore. */
  dump(): AsyncIterable<DumpChunk>;
  /**
   * Puts the dumped tables back, replacing tables of the same names. The SQL backends
   * (`restoresAtomically`) build everything beside the live tables and swap it in one step: a
   * failure at any step leaves the live data as it was. The others drop same-named tables first.
   */
  restore(chunks: AsyncIterable<DumpChunk>, options?: RestoreOptions): Promise<void>;
  /** A PostgREST read (rest-plan.ts) as one statement; DS_UNSUPPORTED naming the feature where the backend cannot. */
  restRead(read: RestRead): Promise<RestReadResult>;
  restWrite(write: RestWrite): Promise<RestWriteResult>;
  /** A PostgREST `/rpc/<fn>` call in a transaction of its own; DS_UNSUPPORTED where the backend has no functions to call. */
  restCall(call: RestCall): Promise<RestCallResult>;
}

/**
 * A table's definition as its own backend states it, restored as is into the same backend kind
 * (the portable TableInfo serves every other). Names in the statements are unqualified: they
 * run where the target's namespace is the default one.
 */
export interface NativeTable {
  backend: 'postgres' | 'sqlite' | 'mysql';
  /** The table with its columns, defaults, identity, NOT NULL (and what the backend needs inline). */
  create: string[];
  /** After every table's rows: keys, checks, indexes, triggers. */
  after: string[];
  /** After every table's `after`: foreign keys (they need the keys they reference). */
  foreignKeys: string[];
  /** Key generators to move to where they were: a sequence (Postgres) or AUTOINCREMENT counter (SQLite). */
  sequences: Array<{ name: string; value: string; called: boolean }>;
}

export type DumpChunk =
  | { kind: 'table'; table: TableInfo; native?: NativeTable }
  | { kind: 'rows'; table: string; rows: Row[] }
  /** Rows in Postgres COPY text format (whole lines), `rows` of them, in `columns` order. */
  | { kind: 'copy'; table: string; columns: string[]; rows: number; data: string }
  /** Redis only: keys as the server DUMPs them (restored as is into Redis, ignored by every other backend). */
  | { kind: 'keys'; keys: RedisKeyDump[] }
  /** MongoDB only: a collection with its index specs, then its documents, both canonical Extended JSON (ignored by every other backend). */
  | { kind: 'collection'; name: string; indexes: string }
  | { kind: 'documents'; collection: string; documents: string };

/** One Redis key: its name (base64, binary-safe), type, remaining time to live in ms (-1: none), DUMP payload (base64). */
export interface RedisKeyDump {
  key: string;
  type: string;
  pttl: number;
  value: string;
}

/** Chunks only their own backend restores (every other one skips them). */
export type NativeOnlyChunk = Extract<DumpChunk, { kind: 'keys' | 'collection' | 'documents' }>;

/** Where a restore stands; a checkpoint that throws aborts it there (the failure-injection hook). */
export type RestoreStep = 'staged' | 'created' | 'rows' | 'constraints' | 'checked' | 'swap';

export interface RestoreOptions {
  /** Called as each step is reached; `swap` runs inside the swapping transaction, before it commits. */
  checkpoint?(step: RestoreStep): void | Promise<void>;
  /** Called with the staged tables' row counts before the swap; throwing aborts the restore. */
  check?(count: (table: string) => Promise<number>): Promise<void>;
}

export type AdapterKind = 'postgres' | 'sqlite' | 'mysql' | 'redis' | 'mongodb';

export interface SourceConfig {
  kind: AdapterKind;
  /** Connection URL (postgres://, mysql://, redis://, mongodb://) or a file path for sqlite. */
  url: string;
  /** Redis key prefix / Mongo database / Postgres schema, depending on kind. */
  namespace?: string;
  pool?: Partial<PoolOptions>;
  /** Postgres and MySQL: the connection budget of the source's server (adapters/server-budget.ts). */
  budget?: { limit?: number; waitMs?: number };
  /** Postgres: a direct URL for the change feed (LISTEN, logical replication) when `url` points at a pooler in transaction mode. */
  feedUrl?: string;
  /** Postgres: how changes are captured (adapters/postgres-changes.ts); default `auto`. */
  changes?: CaptureMode;
  /** Postgres: names the source's replication slot, publication and change stream; unique per source and cluster (or node). */
  captureKey?: string;
}

/** What an adapter is given beside its configuration. */
export interface AdapterDeps {
  /** Carries logically replicated changes to this node (cluster: a JetStream stream per source); default: this process. */
  changeRelay?: ChangeRelay;
}

/** A source's connections (Postgres): its pool, and the server whose budget it shares. */
export interface SourceConnections {
  server: string;
  open: number;
  idle: number;
  inUse: number;
  waiting: number;
}

/** A column as the schema API declares it (portable types; see docs/schema-api.md). */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** Default true; a key column is always NOT NULL. */
  nullable?: boolean;
  /** A JSON value bound as a literal, or `{ sql }`: an expression written by the operator. */
  default?: string | number | boolean | null | { sql: string };
  unique?: boolean;
  /** An SQL boolean expression (operator-trusted, as a migration is). */
  check?: string;
  /** A generated integer key. */
  identity?: boolean;
  primaryKey?: boolean;
}

export type ReferentialAction = 'cascade' | 'restrict' | 'set null' | 'set default' | 'no action';

export interface ForeignKeySpec {
  name?: string;
  columns: string[];
  references: { table: string; columns: string[] };
  onDelete?: ReferentialAction;
  onUpdate?: ReferentialAction;
}

export interface TableSpec {
  name: string;
  columns: ColumnSpec[];
  primaryKey?: string[];
  foreignKeys?: ForeignKeySpec[];
}

/** One change the schema API makes; compiled per backend (adapters/sql/ddl.ts). */
export type SchemaOp =
  | { op: 'createTable'; table: TableSpec }
  | { op: 'renameTable'; table: string; to: string }
  | { op: 'dropTable'; table: string }
  | { op: 'addColumn'; table: string; column: ColumnSpec }
  | { op: 'alterColumn'; table: string; column: string; type?: ColumnType; nullable?: boolean; default?: ColumnSpec['default'] }
  | { op: 'renameColumn'; table: string; column: string; to: string }
  | { op: 'dropColumn'; table: string; column: string }
  | { op: 'createIndex'; table: string; name?: string; columns: string[]; unique?: boolean }
  | { op: 'dropIndex'; table: string; index: string }
  | { op: 'createView'; view: string; select: string }
  | { op: 'dropView'; view: string };

export interface DescribedColumn {
  name: string;
  type: ColumnType;
  nativeType: string;
  nullable: boolean;
  /** The default as the backend states it (SQL text), or null. */
  default: string | null;
  identity: boolean;
}

export interface DescribedTable {
  name: string;
  columns: DescribedColumn[];
  primaryKey: string[];
  foreignKeys: Array<Required<Pick<ForeignKeySpec, 'columns' | 'references'>> & { name: string; onDelete: string; onUpdate: string }>;
  /** `constraint`: the index of a UNIQUE constraint (dropped with the constraint). */
  indexes: Array<{ name: string; columns: string[]; unique: boolean; constraint?: true }>;
  checks: Array<{ name: string; expression: string }>;
}

/** An applied migration as `mobo_migrations` records it. */
export interface AppliedMigration {
  id: string;
  checksum: string;
  appliedAt: string;
}

/** Statements to run as one change; `op`: the operation they were planned from (the stores without SQL run it). */
export interface SchemaChange {
  statements: string[];
  op?: SchemaOp;
}

/** One migration in one direction: its statements, and what `mobo_migrations` records of it. */
export interface MigrateOptions {
  /** How long a run waits for the source's migration lock before SCHEMA_MIGRATION_LOCKED (default 30). */
  lockWaitSeconds?: number;
}

export interface MigrationStep {
  id: string;
  checksum: string;
  direction: 'up' | 'down';
  statements: string[];
}

/** What a rehearsal of migrations made; `failed`: the step it stopped at. */
export interface Rehearsal {
  tables: DescribedTable[];
  failed?: { migration: string; message: string };
}

export interface SchemaEditor {
  describe(table: string): Promise<DescribedTable>;
  /** The statements an operation takes here, checked against the live schema; nothing runs. */
  plan(op: SchemaOp): Promise<string[]>;
  /** Runs the statements in one transaction where the backend's DDL is transactional (Postgres, SQLite); introspection and change capture follow. */
  apply(change: SchemaChange): Promise<void>;
  /**
   * Runs migration steps in order under the source's migration lock (taken once for the run),
   * each in its own transaction with its `mobo_migrations` row where the backend allows; a step
   * another run applied (or reverted) first is skipped; an applied one whose checksum differs is
   * refused. A failing step stops the run: its error names it (`details.migration`) and lists
   * the steps committed before it (`details.applied`). The schema is re-read once, at the end.
   */
  migrate(steps: readonly MigrationStep[], options?: MigrateOptions): Promise<{ applied: string[] }>;
  /**
   * The tables the steps make, built in a scratch place beside the source (the restore's stage:
   * a Postgres schema, a MariaDB database, a SQLite file), described, and dropped again.
   */
  rehearse(steps: readonly MigrationStep[]): Promise<Rehearsal>;
  migrations(): Promise<AppliedMigration[]>;
  /** Re-reads the schema; true when it differs from what was known (change capture follows). */
  refresh(): Promise<boolean>;
  /** Whether a failed change leaves the schema as it was (transactional DDL). */
  readonly transactional: boolean;
}
