import type { RestCall, RestCallResult, RestRead, RestReadResult, RestWrite, RestWriteResult } from './rest-plan.js';
import type { CaptureStatus } from './capture.js';
import type { ChangeSource } from './changes.js';
import { dumpTables, restoreTables } from './dump.js';
import { HEALTH_TIMEOUT_MS } from './options.js';
import { SchemaCache } from './schema-cache.js';
import type { Adapter, AdapterHealth, AdapterKind, ChangeEvent, ChangeFeed, DataOps, DumpChunk, Query, RestoreOptions, Row, SchemaInfo, TableInfo } from './types.js';
import { describeError, isMoboError, MoboError, withTimeout } from '../runtime/index.js';

export abstract class BaseAdapter implements Adapter {
  abstract readonly kind: AdapterKind;
  protected readonly schema: SchemaCache;
  protected abstract readonly changes: ChangeSource;
  protected abstract readonly ops: DataOps;

  constructor() {
    this.schema = new SchemaCache(() => this.loadSchema());
  }

  abstract connect(): Promise<void>;
  abstract createTable(table: TableInfo): Promise<void>;
  abstract dropTable(table: string): Promise<void>;
  abstract transaction<T>(fn: (tx: DataOps) => Promise<T>): Promise<T>;
  /** A cheap round trip to the data source (SELECT 1, PING …). */
  protected abstract probe(): Promise<unknown>;
  protected abstract loadSchema(): Promise<SchemaInfo>;
  /** Releases the driver's connections. */
  protected abstract disconnect(): Promise<void>;

  async health(): Promise<AdapterHealth> {
    const started = performance.now();
    try {
      await withTimeout(this.probe(), HEALTH_TIMEOUT_MS, () => new MoboError('DS_UNAVAILABLE', 'The health probe timed out'));
      return { status: 'ok', latencyMs: performance.now() - started };
    } catch (err) {
      return { status: 'down', details: { code: isMoboError(err) ? err.code : 'DS_UNAVAILABLE', reason: describeError(err) } };
    }
  }

  /** Embedding, PostgREST operators and the rest of rest-plan.ts need a SQL engine that has them. */
  restRead(_read: RestRead): Promise<RestReadResult> {
    return Promise.reject(unsupportedRest(this.kind));
  }

  restWrite(_write: RestWrite): Promise<RestWriteResult> {
    return Promise.reject(unsupportedRest(this.kind, 'PostgREST writes (upsert, returning embeds, tx=rollback, max-affected)'));
  }

  restCall(_call: RestCall): Promise<RestCallResult> {
    return Promise.reject(unsupportedRest(this.kind, 'PostgREST function calls (rpc)'));
  }

  async integrity(): Promise<string[]> {
    return [];
  }

  async close(): Promise<void> {
    await this.changes.close();
    await this.disconnect();
  }

  introspect(refresh = false): Promise<SchemaInfo> {
    return this.schema.get(refresh);
  }

  select(query: Query): Promise<Row[]> {
    return this.ops.select(query);
  }

  count(query: Pick<Query, 'table' | 'where'>): Promise<number> {
    return this.ops.count(query);
  }

  insert(table: string, rows: Row[], returning?: boolean): Promise<Row[]> {
    return this.ops.insert(table, rows, returning);
  }

  update(query: Pick<Query, 'table' | 'where'>, patch: Row, returning?: boolean): Promise<Row[]> {
    return this.ops.update(query, patch, returning);
  }

  delete(query: Pick<Query, 'table' | 'where'>, returning?: boolean): Promise<Row[]> {
    return this.ops.delete(query, returning);
  }

  watch(onChange: (event: ChangeEvent) => void): Promise<ChangeFeed> {
    return this.changes.subscribe(onChange);
  }

  captureStatus(): CaptureStatus | undefined {
    return this.changes.status?.();
  }

  dump(): AsyncIterable<DumpChunk> {
    return dumpTables(this);
  }

  /** In place: tables are created and filled as the chunks come (no stage; see Adapter.restore). */
  async restore(chunks: AsyncIterable<DumpChunk>, options: RestoreOptions = {}): Promise<void> {
    await restoreTables(this, chunks);
    await options.check?.((table) => this.count({ table }));
  }

  /** createTable's guard against an existing name (the backend may also report it). */
  protected async assertTableAbsent(name: string): Promise<void> {
    if (await this.schema.find(name)) throw new MoboError('DS_CONFLICT', 'A table with that name already exists', { details: { table: name } });
  }
}

/** A PostgREST-grammar request this backend cannot answer as asked: a 400 naming feature and backend. */
export function unsupportedRest(kind: AdapterKind, feature = 'PostgREST resource embedding and operators'): MoboError {
  return new MoboError('DS_UNSUPPORTED', `${feature} are not supported on ${kind} sources`, { details: { feature, backend: kind } });
}
