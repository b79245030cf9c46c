import type { RestCall, RestCallResult, RestRead, RestReadResult, RestWrite, RestWriteResult } from './rest-plan.js';
import type { CaptureStatus } from './capture.js';
import type { Adapter, AdapterHealth, AdapterKind, ChangeEvent, ChangeFeed, DataOps, DumpChunk, Query, RestoreOptions, Row, SchemaEditor, SchemaInfo, TableInfo } from './types.js';
import { MoboError } from '../runtime/index.js';

/**
 * An Adapter whose backend module is imported on `connect()`, so creating a source is
 * synchronous and only the drivers of sources in use are ever loaded. Before connect, data
 * calls fail with DS_UNAVAILABLE and health reports down.
 */
export class LazyAdapter implements Adapter {
  private inner: Adapter | undefined;
  private loading: Promise<Adapter> | undefined;

  constructor(
    readonly kind: AdapterKind,
    private readonly load: () => Promise<Adapter>,
  ) {}

  async connect(): Promise<void> {
    const inner = await this.loaded();
    await inner.connect();
    this.inner = inner;
  }

  /** Needs no connection: a store is checked before it is opened for use. */
  async integrity(): Promise<string[]> {
    return (this.inner ?? (await this.loaded())).integrity();
  }

  private loaded(): Promise<Adapter> {
    this.loading ??= this.load().catch((err: unknown) => {
      this.loading = undefined;
      throw err;
    });
    return this.loading;
  }

  async health(): Promise<AdapterHealth> {
    return this.inner ? this.inner.health() : { status: 'down', details: { reason: 'not connected' } };
  }

  async close(): Promise<void> {
    const inner = this.inner;
    this.inner = undefined;
    this.loading = undefined;
    await inner?.close();
  }

  private get ready(): Adapter {
    if (!this.inner) throw new MoboError('DS_UNAVAILABLE', 'The data source is not connected');
    return this.inner;
  }

  get schemaEditor(): SchemaEditor | undefined {
    return this.ready.schemaEditor;
  }

  introspect = async (refresh?: boolean): Promise<SchemaInfo> => this.ready.introspect(refresh);
  createTable = async (table: TableInfo): Promise<void> => this.ready.createTable(table);
  dropTable = async (table: string): Promise<void> => this.ready.dropTable(table);
  select = async (query: Query): Promise<Row[]> => this.ready.select(query);
  count = async (query: Pick<Query, 'table' | 'where'>): Promise<number> => this.ready.count(query);
  insert = async (table: string, rows: Row[], returning?: boolean): Promise<Row[]> => this.ready.insert(table, rows, returning);
  update = async (query: Pick<Query, 'table' | 'where'>, patch: Row, returning?: boolean): Promise<Row[]> =>
    this.ready.update(query, patch, returning);
  delete = async (query: Pick<Query, 'table' | 'where'>, returning?: boolean): Promise<Row[]> => this.ready.delete(query, returning);
  transaction = async <T>(fn: (tx: DataOps) => Promise<T>): Promise<T> => this.ready.transaction(fn);
  watch = async (onChange: (event: ChangeEvent) => void): Promise<ChangeFeed> => this.ready.watch(onChange);
  captureStatus = (): CaptureStatus | undefined => this.inner?.captureStatus?.();
  restWrite = async (write: RestWrite): Promise<RestWriteResult> => this.ready.restWrite(write);
  restRead = async (read: RestRead): Promise<RestReadResult> => this.ready.restRead(read);
  restCall = async (call: RestCall): Promise<RestCallResult> => this.ready.restCall(call);
  restore = async (chunks: AsyncIterable<DumpChunk>, options?: RestoreOptions): Promise<void> => this.ready.restore(chunks, options);

  async *dump(): AsyncIterable<DumpChunk> {
    yield* this.ready.dump();
  }
}
