/**
 * The Adapter for every SQL backend, over a SqlDriver (postgres.ts, sqlite.ts, mysql.ts own the
 * drivers). Writes outside a transaction publish their changes at once; a transaction's
 * changes are published when it commits. dump() reads the schema and every table inside one
 * driver snapshot, streamed a chunk at a time; a consumer that stops early ends it.
 */
import { BaseAdapter } from '../base.js';
import type { ChangeSource } from '../changes.js';
import { NO_CHANGES, PendingChanges } from '../changes.js';
import { dumpTables } from '../dump.js';
import { handoff } from '../handoff.js';
import { SchemaCache } from '../schema-cache.js';
import type { DataOps, DumpChunk, Query, SchemaInfo, TableInfo } from '../types.js';
import { checkTableDefinition } from '../validate.js';
import { compileCreateTable, compileDropTable } from './ddl.js';
import type { SqlDriver, SqlRunner } from './driver.js';
import { GroupCommit } from './group-commit.js';
import { SqlDataOps } from './ops.js';

/** What a backend's change source may use: the schema (to decode rows) and the pool. */
export interface ChangeSourceContext {
  schema: SchemaCache;
  runner: SqlRunner;
}

export class SqlAdapter extends BaseAdapter {
  readonly kind: SqlDriver['kind'];
  protected readonly changes: ChangeSource;
  protected readonly ops: SqlDataOps;

  constructor(
    private readonly driver: SqlDriver,
    makeChanges: (context: ChangeSourceContext) => ChangeSource,
  ) {
    super();
    this.kind = driver.kind;
    this.changes = makeChanges({ schema: this.schema, runner: driver.runner });
    this.ops = new SqlDataOps(driver, driver.runner, this.schema, this.changes, driver.groupCommit ? new GroupCommit(driver) : undefined);
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
    await this.changes.tableCreated?.(await this.schema.table(table.name));
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

  override dump(): AsyncIterable<DumpChunk> {
    return handoff((emit) =>
      this.driver.snapshot(async (runner) => {
        const schema = new SchemaCache(() => this.driver.loadSchema(runner));
        const ops = new SqlDataOps(this.driver, runner, schema, NO_CHANGES);
        const inSnapshot = { introspect: (refresh?: boolean) => schema.get(refresh), select: (query: Query) => ops.select(query) };
        for await (const chunk of dumpTables(inSnapshot)) await emit(chunk);
      }),
    );
  }

  override async integrity(): Promise<string[]> {
    return (await this.driver.integrity?.()) ?? [];
  }

  protected probe(): Promise<unknown> {
    return this.driver.runner.run({ sql: 'SELECT 1', params: [] });
  }

  protected loadSchema(): Promise<SchemaInfo> {
    return this.driver.loadSchema();
  }

  protected disconnect(): Promise<void> {
    return this.driver.close();
  }

  protected override async restored(tables: TableInfo[]): Promise<void> {
    for (const table of tables) await this.driver.afterRestore?.(table);
  }
}
