/**
 * The Adapter for every SQL backend, over a SqlDriver (postgres.ts, sqlite.ts, mysql.ts own the
 * drivers). Writes outside a transaction publish their changes at once; a transaction's
 * changes are published when it commits. dump() reads the schema and every table inside one
 * driver snapshot, streamed a chunk at a time; a consumer that stops early ends it.
 */
import { BaseAdapter } from '../base.js';
import type { ChangeSource } from '../changes.js';
import { NO_CHANGES, PendingChanges } from '../changes.js';
import { LocalChangeSource } from '../changes.js';
import { restoreStaged, tableBatches } from '../dump.js';
import { handoff } from '../handoff.js';
import { SchemaCache } from '../schema-cache.js';
import type { DataOps, DumpChunk, Query, RestoreOptions, SchemaInfo, TableInfo } from '../types.js';
import { checkTableDefinition } from '../validate.js';
import { compileCreateTable, compileDropTable } from './ddl.js';
import type { SqlDriver, SqlRunner } from './driver.js';
import { GroupCommit } from './group-commit.js';
import { SqlDataOps } from './ops.js';
import { SqlSchemaEditor } from './schema-editor.js';
import { SqlStage } from './stage.js';
import { PostgresRest } from './rest/index.js';
import { restUpsert } from './rest-upsert.js';
import { DialectRest } from './rest-embed.js';
import type { RestCall, RestCallResult, RestRead, RestReadResult, RestWrite, RestWriteResult } from '../rest-plan.js';

/** COPY text is cut into chunks of whole lines of about this size. */
const COPY_CHUNK_BYTES = 1 << 20;
/** Connections a COPY dump reads tables on at once (a backup target's pool holds two). */
const DUMP_CONNECTIONS = 2;

/** What a backend's change source may use: the schema (to decode rows) and the pool. */
export interface ChangeSourceContext {
  schema: SchemaCache;
  runner: SqlRunner;
}

export class SqlAdapter extends BaseAdapter {
  readonly kind: SqlDriver['kind'];
  protected readonly changes: ChangeSource;
  protected readonly ops: SqlDataOps;
  readonly schemaEditor: SqlSchemaEditor;
  private rest?: PostgresRest;
  private dialectRest?: DialectRest;

  constructor(
    private readonly driver: SqlDriver,
    makeChanges: (context: ChangeSourceContext) => ChangeSource,
  ) {
    super();
    this.kind = driver.kind;
    this.changes = makeChanges({ schema: this.schema, runner: driver.runner });
    this.ops = new SqlDataOps(driver, driver.runner, this.schema, this.changes, driver.groupCommit ? new GroupCommit(driver) : undefined);
    this.schemaEditor = new SqlSchemaEditor(driver, this.schema, this.changes);
  }

  async connect(): Promise<void> {
    await this.driver.connect();
    await this.probe();
  }

  async createTable(table: TableInfo): Promise<void> {
    checkTableDefinition(table);
    await this.assertTableAbsent(table.name);
    try {
      await this.driver.runner.run({ sql: compileCreateTable(this.driver.dialect, this.driver.tableRef(table.name), table), params: [] });
    } finally {
      this.schema.invalidate();
    }
    await this.changes.tablesCreated?.([await this.schema.table(table.name)]);
  }

  async dropTable(table: string): Promise<void> {
    const info = await this.schema.table(table);
    try {
      await this.driver.runner.run({ sql: compileDropTable(this.driver.tableRef(info.name)), params: [] });
    } finally {
      this.schema.invalidate();
    }
  }

  async transaction<T>(fn: (tx: DataOps) => Promise<T>): Promise<T> {
    const pending = new PendingChanges(this.changes.wanted);
    const result = await this.driver.transaction((runner) => fn(new SqlDataOps(this.driver, runner, this.schema, pending)));
    this.changes.publish(pending.events);
    return result;
  }

  /**
   * Each table's portable and native definition, then its rows, all inside one snapshot: where
   * the backend has COPY (Postgres), every definition first, then the tables' COPY text read on
   * DUMP_CONNECTIONS connections sharing the snapshot, their chunks interleaved as they come;
   * else table after table, in pages of rows.
   */
  override dump(): AsyncIterable<DumpChunk> {
    return handoff((emit) =>
      this.driver.snapshot(async (runner) => {
        const schema = new SchemaCache(() => this.driver.loadSchema(runner));
        const { tables } = await schema.get(true);
        const natives = await this.driver.describe(runner, tables);
        const definition = (table: TableInfo): DumpChunk => {
          const native = natives.get(table.name);
          return { kind: 'table', table, ...(native ? { native } : {}) };
        };
        if (runner.copyOut && this.driver.copyOutSql) {
          for (const table of tables) await emit(definition(table));
          const peers = this.driver.snapshotPeers?.bind(this.driver) ?? ((_r: SqlRunner, _n: number, fn: (p: SqlRunner[]) => Promise<void>) => fn([]));
          await peers(runner, Math.min(DUMP_CONNECTIONS, tables.length) - 1, (more) => this.copyTables([runner, ...more], tables, serialized(emit)));
          return;
        }
        const ops = new SqlDataOps(this.driver, runner, schema, NO_CHANGES);
        for (const table of tables) {
          await emit(definition(table));
          for await (const rows of tableBatches(ops, table)) await emit({ kind: 'rows', table: table.name, rows });
        }
      }),
    );
  }

  /** Each runner COPYs the next table not yet taken; the first failure stops them all. */
  private async copyTables(runners: SqlRunner[], tables: readonly TableInfo[], emit: (chunk: DumpChunk) => Promise<void>): Promise<void> {
    const queue = [...tables];
    const stop: { error?: unknown } = {};
    const work = async (runner: SqlRunner): Promise<void> => {
      for (let table = queue.shift(); table && !('error' in stop); table = queue.shift()) {
        const copy = this.driver.copyOutSql!(table);
        for await (const chunk of copyChunks(runner.copyOut!(copy.sql))) {
          if ('error' in stop) throw stop.error;
          await emit({ kind: 'copy', table: table.name, columns: copy.columns, ...chunk });
        }
      }
    };
    const failed = (error: unknown): void => {
      if (!('error' in stop)) stop.error = error;
    };
    await Promise.all(runners.map((runner) => work(runner).catch(failed)));
    if ('error' in stop) throw stop.error;
  }

  override async integrity(): Promise<string[]> {
    return (await this.driver.integrity?.()) ?? [];
  }

  /** Built in a stage beside the live tables and swapped in at the end (dump.ts, stage.ts). */
  override async restore(chunks: AsyncIterable<DumpChunk>, options: RestoreOptions = {}): Promise<void> {
    const stage = await this.driver.openStage();
    const staged = new SqlAdapter(stage.driver, () => new LocalChangeSource());
    try {
      await restoreStaged(new SqlStage(stage, staged), chunks, options);
    } finally {
      this.schema.invalidate();
    }
    await this.changes.tablesCreated?.((await this.schema.get(true)).tables);
  }

  /** Postgres compiles PostgREST reads itself (rest/); SQLite and MySQL compile reads with embeds (rest-embed.ts). */
  override restRead(read: RestRead): Promise<RestReadResult> {
    if (this.driver.kind !== 'postgres') {
      this.dialectRest ??= new DialectRest(this.driver, this.schema);
      return this.dialectRest.read(read);
    }
    return this.postgresRest().read(read);
  }

  /** Postgres compiles every PostgREST write; SQLite and MySQL answer upserts (rest-upsert.ts), DS_UNSUPPORTED for the rest. */
  override restWrite(write: RestWrite): Promise<RestWriteResult> {
    if (this.driver.kind !== 'postgres') {
      const { onConflict } = write;
      return write.kind === 'insert' && onConflict ? restUpsert(this.driver, this.schema, this.changes, { ...write, onConflict }) : super.restWrite(write);
    }
    return this.postgresRest().write(write, (fn) => this.driver.transaction(fn));
  }

  override restCall(call: RestCall): Promise<RestCallResult> {
    if (this.driver.kind !== 'postgres') return super.restCall(call);
    return this.postgresRest().call(call, (fn) => this.driver.transaction(fn));
  }

  protected probe(): Promise<unknown> {
    return this.driver.runner.run({ sql: 'SELECT 1', params: [] });
  }

  /** PostgREST's catalogue of the source: made on first use, dropped whenever the source's schema is (a DDL, a reload). */
  private postgresRest(): PostgresRest {
    if (!this.rest) {
      const rest = new PostgresRest(this.driver.runner, this.driver.namespace ?? 'public');
      this.schema.onStale(() => rest.invalidate());
      this.rest = rest;
    }
    return this.rest;
  }

  protected loadSchema(): Promise<SchemaInfo> {
    return this.driver.loadSchema();
  }

  protected disconnect(): Promise<void> {
    return this.driver.close();
  }

}

/** emit for several producers: each item waits for the ones before it (the handoff takes one at a time). */
function serialized<T>(emit: (item: T) => Promise<void>): (item: T) => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  return (item) => (last = last.then(() => emit(item)));
}

/** COPY output re-cut into chunks of whole lines (a line never holds a raw newline) with their row counts. */
async function* copyChunks(stream: AsyncIterable<Buffer>): AsyncIterable<{ rows: number; data: string }> {
  let parts: Buffer[] = [];
  let bytes = 0;
  let rows = 0;
  for await (const buffer of stream) {
    parts.push(buffer);
    bytes += buffer.length;
    for (let i = buffer.indexOf(10); i >= 0; i = buffer.indexOf(10, i + 1)) rows++;
    if (bytes >= COPY_CHUNK_BYTES && buffer[buffer.length - 1] === 10) {
      yield { rows, data: Buffer.concat(parts).toString('utf8') };
      parts = [];
      bytes = 0;
      rows = 0;
    }
  }
  if (bytes > 0) yield { rows, data: Buffer.concat(parts).toString('utf8') };
}
