import type { DataClient } from '../../actors/ds/protocol.js';
import type { ReadCache } from './read-cache.js';
import { allOf } from './shape.js';
import type { Filter, Query, Row, TableInfo } from '../../adapters/index.js';

interface Waiter<T = Row | undefined> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

interface Batch {
  data: DataClient;
  table: TableInfo;
  key: string;
  columns: string[] | undefined;
  rowFilter: Filter | undefined;
  waiters: Map<string, Waiter[]>;
}

/** Ids per coalesced query: well under every backend's parameter limit. */
const MAX_BATCH = 500;

interface SharedSelect {
  data: DataClient;
  query: Query;
  waiters: Array<Waiter<Row[]>>;
}

/**
 * Answers reads from the read cache when it has them (read-cache.ts), and otherwise coalesces
 * concurrent reads that arrive in one turn of the event loop:
 * - reads by primary key of the same table, columns and row rule become one `pk IN (…)`
 *   query, and each caller gets its own row;
 * - identical list queries run once, and every caller gets the rows.
 * Only reads are merged, and a merged query starts after all its requests arrived (never
 * joining one already running), so a read never sees less than it would on its own.
 */
export class ReadCoalescer {
  private readonly batches = new Map<string, Batch>();
  private readonly selects = new Map<string, SharedSelect>();
  private scheduled = false;

  constructor(
    private readonly enabled: () => boolean,
    private readonly cache: ReadCache,
  ) {}

  /** Rows of a list query: cached, or shared with identical queries of the same loop turn. */
  select(data: DataClient, query: Query): Promise<Row[]> {
    if (!this.cache.enabled && !this.enabled()) return data.select(query);
    const queryKey = JSON.stringify(query);
    return this.cached(data.address, queryKey, () => this.selectShared(data, query, queryKey));
  }

  /** A table's row by primary key (undefined: none): cached, or merged with the loop turn's other reads by key. */
  read(data: DataClient, table: TableInfo, rawId: string, columns: string[] | undefined, rowFilter: Filter | undefined): Promise<Row | undefined> {
    if (!this.cache.enabled) return this.readByKey(data, table, rawId, columns, rowFilter);
    const key = `id\u0000${table.name}\u0000${rawId}\u0000${columns?.join(',') ?? '*'}\u0000${rowFilter ? JSON.stringify(rowFilter) : ''}`;
    const rows = this.cached(data.address, key, () =>
      this.readByKey(data, table, rawId, columns, rowFilter).then((row) => (row ? [row] : [])),
    );
    return rows.then((found) => found[0]);
  }

  /** The cached answer, or `load`'s, stored under the generation taken before it started. */
  private cached(scope: string, key: string, load: () => Promise<Row[]>): Promise<Row[]> {
    if (!this.cache.enabled) return load();
    const hit = this.cache.get(scope, key);
    if (hit) return Promise.resolve(hit);
    const generation = this.cache.generation(scope);
    return load().then((rows) => {
      this.cache.set(scope, key, rows, generation);
      return rows;
    });
  }

  private selectShared(data: DataClient, query: Query, queryKey: string): Promise<Row[]> {
    if (!this.enabled()) return data.select(query);
    const key = `${data.address}\u0000${queryKey}`;
    let shared = this.selects.get(key);
    if (!shared) {
      shared = { data, query, waiters: [] };
      this.selects.set(key, shared);
      this.schedule();
    }
    const waiters = shared.waiters;
    return new Promise<Row[]>((resolve, reject) => waiters.push({ resolve, reject }));
  }

  private readByKey(data: DataClient, table: TableInfo, rawId: string, columns: string[] | undefined, rowFilter: Filter | undefined): Promise<Row | undefined> {
    const pk = table.primaryKey[0]!;
    const id = canonicalId(table, rawId);
    // An id that is not canonical for its key type reads alone: its error must stay its own.
    if (!this.enabled() || id === undefined) {
      return data.select({ table: table.name, where: allOf({ op: 'eq', column: pk, value: rawId }, rowFilter)!, limit: 1, ...(columns ? { columns } : {}) }).then((rows) => rows[0]);
    }
    const key = `${data.address}\u0000${table.name}\u0000${columns?.join(',') ?? '*'}\u0000${rowFilter ? JSON.stringify(rowFilter) : ''}`;
    let batch = this.batches.get(key);
    if (!batch) {
      batch = { data, table, key, columns, rowFilter, waiters: new Map() };
      this.batches.set(key, batch);
    }
    const promise = new Promise<Row | undefined>((resolve, reject) => {
      const list = batch.waiters.get(id);
      if (list) list.push({ resolve, reject });
      else batch.waiters.set(id, [{ resolve, reject }]);
    });
    if (batch.waiters.size >= MAX_BATCH) this.flush(batch);
    else this.schedule();
    return promise;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      for (const b of [...this.batches.values()]) this.flush(b);
      for (const [key, shared] of [...this.selects]) {
        this.selects.delete(key);
        shared.data.select(shared.query).then(
          (rows) => shared.waiters.forEach((w) => w.resolve(rows)),
          (err: unknown) => shared.waiters.forEach((w) => w.reject(err)),
        );
      }
    });
  }

  private flush(batch: Batch): void {
    this.batches.delete(batch.key);
    const pk = batch.table.primaryKey[0]!;
    const ids = [...batch.waiters.keys()];
    const columns = batch.columns && !batch.columns.includes(pk) ? [...batch.columns, pk] : batch.columns;
    const where = ids.length === 1 ? { op: 'eq' as const, column: pk, value: ids[0]! } : { op: 'in' as const, column: pk, values: ids };
    batch.data
      .select({ table: batch.table.name, where: allOf(where, batch.rowFilter)!, limit: ids.length, ...(columns ? { columns } : {}) })
      .then(
        (rows) => {
          const byId = new Map(rows.map((row) => [String(row[pk]), row]));
          for (const [id, waiters] of batch.waiters) {
            const row = byId.get(id);
            const shown = row && batch.columns && !batch.columns.includes(pk) ? withoutKey(row, pk) : row;
            for (const w of waiters) w.resolve(shown);
          }
        },
        (err: unknown) => {
          for (const waiters of batch.waiters.values()) for (const w of waiters) w.reject(err);
        },
      );
  }
}

const INTEGER = /^-?[1-9]\d{0,14}$|^0$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The id as the backend hands the key back (so rows can be matched to requests), or undefined. */
function canonicalId(table: TableInfo, id: string): string | undefined {
  const type = table.columns.find((c) => c.name === table.primaryKey[0])?.type;
  if (type === 'text') return id;
  if (type === 'integer') return INTEGER.test(id) ? id : undefined;
  if (type === 'uuid') return UUID.test(id) ? id : undefined;
  return undefined;
}

function withoutKey(row: Row, key: string): Row {
  const { [key]: _dropped, ...rest } = row;
  return rest;
}
