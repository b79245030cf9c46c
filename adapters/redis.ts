/**
 * Redis through ioredis (the only file importing it), with the row model of redis-model.ts
 * under the key prefix `namespace` (default "mobo").
 *
 * Reads: an `eq`/`in` on a one-column primary key (alone or inside a top-level `and`) fetches
 * those hashes directly (O(1) per key); any other filter reads every row of the table and is
 * evaluated in the process (evaluate.ts), as are order, paging and column selection.
 * Writes: inserts are one atomic Lua script (all rows or none, DS_CONFLICT on an existing key);
 * update/delete read the matching rows, then apply all their writes in one MULTI, so
 * a concurrent writer can interleave between the read and the write (last writer wins per row).
 * There are no interactive transactions (`transaction` is DS_UNSUPPORTED), no column defaults
 * beyond generated keys (integer: a per-table counter, uuid: random), and every table needs a
 * primary key. Change feed: every change made through this adapter instance.
 * dump() is not a consistent snapshot: it reads table by table, page by page (dump.ts), so a
 * write between two reads can be in one table's rows and not another's. (One MULTI over every
 * key would be one, at the price of the whole data set in memory at once; a consistent copy of
 * a Redis server is its RDB snapshot, BGSAVE.)
 */
import { createHash, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { BaseAdapter } from './base.js';
import { DocumentSchemaEditor } from './document-schema.js';
import { errorGuard } from './guard.js';
import type { ChangeSink } from './changes.js';
import { LocalChangeSource, changeEvents } from './changes.js';
import { requireColumn } from './columns.js';
import { applyQuery, matchesFilter } from './evaluate.js';
import { poolOptions } from './options.js';
import { dumpTables } from './dump.js';
import { dumpKeys, restoreKeys } from './redis-dump.js';
import type { Filter } from './query.js';
import { INSERT_SCRIPT, RedisKeys, decodeHash, encodeField, encodeHash, encodeKey } from './redis-model.js';
import type { SchemaCache } from './schema-cache.js';
import { generatedKey } from './sql/ddl.js';
import type { Adapter, ChangeEvent, DataOps, DumpChunk, Query, RestoreOptions, Row, SchemaInfo, SourceConfig, TableInfo } from './types.js';
import { checkTableDefinition, preparePatch, prepareQuery, prepareRows, prepareWhere } from './validate.js';
import { MoboError } from '../runtime/index.js';

const FETCH_BATCH = 500;
const INSERT_SHA = createHash('sha1').update(INSERT_SCRIPT).digest('hex');

export function createRedisAdapter(config: SourceConfig): Adapter {
  return new RedisAdapter(config);
}

class RedisAdapter extends BaseAdapter {
  readonly kind = 'redis';
  protected readonly changes = new LocalChangeSource();
  protected readonly ops: RedisDataOps;
  private readonly client: Redis;
  private readonly keys: RedisKeys;

  private readonly namespace: string;
  /** The declared row model: tables and columns, no secondary indexes (document-schema.ts). */
  readonly schemaEditor: DocumentSchemaEditor;

  constructor(private readonly config: SourceConfig) {
    super();
    this.namespace = config.namespace ?? 'mobo';
    this.keys = new RedisKeys(this.namespace);
    this.client = new Redis(config.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: poolOptions(config).connectTimeoutMs,
    });
    // Connection errors surface on the commands that fail; ioredis reconnects by itself.
    this.client.on('error', () => undefined);
    this.ops = new RedisDataOps(this.client, this.keys, this.schema, this.changes);
    this.schemaEditor = new DocumentSchemaEditor(
      {
        kind: 'redis',
        createTable: (table) => this.createTable(table),
        dropTable: (table) => this.dropTable(table),
        declare: async (table) => {
          await guard(() => this.client.set(this.keys.schema(table.name), JSON.stringify(table), 'XX'));
          this.schema.invalidate();
        },
      },
      this.schema,
    );
  }

  async connect(): Promise<void> {
    if (this.client.status === 'ready') return;
    await guard(() => this.client.connect());
  }

  async createTable(table: TableInfo): Promise<void> {
    checkTableDefinition(table);
    if (table.primaryKey.length === 0) throw new MoboError('DS_UNSUPPORTED', 'Redis tables need a primary key');
    const definition: TableInfo = { name: table.name, columns: table.columns.map((c) => ({ ...c })), primaryKey: [...table.primaryKey] };
    const created = await guard(() => this.client.set(this.keys.schema(table.name), JSON.stringify(definition), 'NX'));
    if (created === null) throw new MoboError('DS_CONFLICT', 'A table with that name already exists', { details: { table: table.name } });
    await guard(() => this.client.sadd(this.keys.tables(), table.name));
    this.schema.invalidate();
  }

  async dropTable(name: string): Promise<void> {
    const table = await this.schema.table(name);
    const pks = this.keys.pks(table.name);
    for (;;) {
      const batch = await guard(() => this.client.zrange(pks, '0', String(FETCH_BATCH - 1)));
      if (batch.length === 0) break;
      await guard(() => this.client.multi().del(...batch.map((pk) => this.keys.row(table.name, pk))).zrem(pks, ...batch).exec());
    }
    await guard(() => this.client.multi().del(pks, this.keys.seq(table.name), this.keys.schema(table.name)).srem(this.keys.tables(), table.name).exec());
    this.schema.invalidate();
  }

  /** Every key of the namespace with its type and TTL, then the portable tables (redis-dump.ts). */
  override async *dump(): AsyncIterable<DumpChunk> {
    yield* guardIterable(dumpKeys(this.client, this.namespace));
    yield* dumpTables(this);
  }

  /** Staged beside the namespace, swapped in with one MULTI (redis-dump.ts). */
  override async restore(chunks: AsyncIterable<DumpChunk>, options: RestoreOptions = {}): Promise<void> {
    // What the caller's checkpoint, check or chunks throw is theirs to see as is; only Redis's own failures are mapped.
    const theirs = new Set<unknown>();
    const own = async <T>(fn: () => T | Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        theirs.add(err);
        throw err;
      }
    };
    const passed: RestoreOptions = {
      checkpoint: (step) => own(() => options.checkpoint?.(step)),
      ...(options.check ? { check: (count) => own(() => options.check!(count)) } : {}),
    };
    const source = (async function* () {
      const iterator = chunks[Symbol.asyncIterator]();
      try {
        for (;;) {
          const next = await own(() => iterator.next());
          if (next.done) return;
          yield next.value;
        }
      } finally {
        await iterator.return?.();
      }
    })();
    try {
      await restoreKeys(
        {
          client: this.client,
          keys: this.keys,
          namespace: this.namespace,
          adapterFor: (namespace) => new RedisAdapter({ ...this.config, namespace }),
          liveTables: async (names) => (await this.introspect(true)).tables.filter((t) => names.includes(t.name)),
          invalidate: () => this.schema.invalidate(),
        },
        source,
        passed,
      );
    } catch (err) {
      throw theirs.has(err) ? err : redisError(err);
    }
  }

  async transaction<T>(): Promise<T> {
    throw new MoboError('DS_UNSUPPORTED', 'Redis has no interactive transactions: MULTI cannot read its own writes');
  }

  protected probe(): Promise<unknown> {
    return guard(() => this.client.ping());
  }

  protected async disconnect(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }

  protected async loadSchema(): Promise<SchemaInfo> {
    const names = (await guard(() => this.client.smembers(this.keys.tables()))).sort();
    if (names.length === 0) return { tables: [] };
    const definitions = await guard(() => this.client.mget(...names.map((n) => this.keys.schema(n))));
    return { tables: definitions.flatMap((json) => (json === null ? [] : [JSON.parse(json) as TableInfo])) };
  }

}

/** CRUD over the row model; see the header for what is atomic. */
class RedisDataOps implements DataOps {
  constructor(
    private readonly client: Redis,
    private readonly keys: RedisKeys,
    private readonly schema: SchemaCache,
    private readonly changes: ChangeSink,
  ) {}

  async select(query: Query): Promise<Row[]> {
    const table = await this.schema.table(query.table);
    const prepared = prepareQuery(table, query);
    const rows = await this.matching(table, prepared.where);
    return applyQuery(rows, { ...prepared, where: undefined });
  }

  async count(query: Pick<Query, 'table' | 'where'>): Promise<number> {
    const table = await this.schema.table(query.table);
    return (await this.matching(table, prepareWhere(table, query.where))).length;
  }

  async insert(tableName: string, rows: Row[], returning = false): Promise<Row[]> {
    const table = await this.schema.table(tableName);
    const complete = await this.withGeneratedKeys(table, prepareRows(table, rows));
    if (complete.length === 0) return [];
    const generated = generatedKey(table);
    const args: string[] = [this.keys.rowPrefix(table.name), String(complete.length)];
    for (const row of complete) {
      const fields = encodeHash(table, row);
      const candidate = generated !== undefined && typeof row[generated] === 'number' ? String(row[generated]) : '';
      args.push(encodeKey(table, row), candidate, String(fields.length / 2), ...fields);
    }
    const conflict = await this.runInsert([this.keys.pks(table.name), this.keys.seq(table.name)], args);
    if (conflict !== null) throw new MoboError('DS_CONFLICT', 'A row with that primary key already exists');
    this.publish(changeEvents(table, 'INSERT', complete));
    return returning ? complete : [];
  }

  async update(query: Pick<Query, 'table' | 'where'>, patch: Row, returning = false): Promise<Row[]> {
    const table = await this.schema.table(query.table);
    const where = prepareWhere(table, query.where);
    const changes = preparePatch(table, patch);
    const before = await this.matching(table, where);
    const after = before.map((row) => ({ ...row, ...changes }));
    const moved = after.filter((row, i) => encodeKey(table, row) !== encodeKey(table, before[i]!));
    await this.checkKeysFree(table, moved, before);
    const multi = this.client.multi();
    before.forEach((old, i) => {
      const next = after[i]!;
      const oldKey = encodeKey(table, old);
      const newKey = encodeKey(table, next);
      const nulls = Object.keys(changes).filter((c) => changes[c] === null);
      if (oldKey !== newKey) {
        multi.del(this.keys.row(table.name, oldKey)).zrem(this.keys.pks(table.name), oldKey);
        multi.hset(this.keys.row(table.name, newKey), ...encodeHash(table, next)).zadd(this.keys.pks(table.name), 0, newKey);
      } else {
        const fields = encodeHash(table, Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== null)));
        if (fields.length > 0) multi.hset(this.keys.row(table.name, oldKey), ...fields);
        if (nulls.length > 0) multi.hdel(this.keys.row(table.name, oldKey), ...nulls);
      }
    });
    if (before.length > 0) await execMulti(multi);
    this.publish(changeEvents(table, 'UPDATE', after, before));
    return returning ? after : [];
  }

  async delete(query: Pick<Query, 'table' | 'where'>, returning = false): Promise<Row[]> {
    const table = await this.schema.table(query.table);
    const before = await this.matching(table, prepareWhere(table, query.where));
    for (let i = 0; i < before.length; i += FETCH_BATCH) {
      const keys = before.slice(i, i + FETCH_BATCH).map((row) => encodeKey(table, row));
      await execMulti(this.client.multi().del(...keys.map((k) => this.keys.row(table.name, k))).zrem(this.keys.pks(table.name), ...keys));
    }
    this.publish(changeEvents(table, 'DELETE', [], before));
    return returning ? before : [];
  }

  /** Rows matching `where`: by key when the filter pins the key, else the whole table, filtered here. */
  private async matching(table: TableInfo, where: Filter | undefined): Promise<Row[]> {
    const pinned = pinnedKeys(table, where);
    const keys = pinned ?? (await guard(() => this.client.zrange(this.keys.pks(table.name), '0', '-1')));
    const rows: Row[] = [];
    for (let i = 0; i < keys.length; i += FETCH_BATCH) {
      const pipeline = this.client.pipeline();
      for (const key of keys.slice(i, i + FETCH_BATCH)) pipeline.hgetall(this.keys.row(table.name, key));
      for (const [err, hash] of (await guard(() => pipeline.exec())) ?? []) {
        if (err) throw redisError(err);
        const fields = hash as Record<string, string>;
        if (Object.keys(fields).length > 0) rows.push(decodeHash(table, fields));
      }
    }
    return rows.filter((row) => matchesFilter(where, row));
  }

  /** Fills generated keys (integer: the table's counter, uuid: random) and checks required columns. */
  private async withGeneratedKeys(table: TableInfo, rows: Row[]): Promise<Row[]> {
    const generated = generatedKey(table);
    const column = generated === undefined ? undefined : requireColumn(table, generated);
    const missing = column ? rows.filter((row) => row[column.name] === undefined || row[column.name] === null).length : 0;
    let next = column?.type === 'integer' && missing > 0 ? (await guard(() => this.client.incrby(this.keys.seq(table.name), missing))) - missing : 0;
    return rows.map((row) => {
      const complete: Row = {};
      for (const c of table.columns) {
        let value = row[c.name] ?? null;
        if (value === null && c.name === generated) value = c.type === 'integer' ? ++next : randomUUID();
        if (value === null && !c.nullable) throw new MoboError('DS_CONSTRAINT', `Column ${c.name} cannot be null`, { details: { column: c.name } });
        complete[c.name] = value;
      }
      return complete;
    });
  }

  private async checkKeysFree(table: TableInfo, moved: Row[], before: Row[]): Promise<void> {
    if (moved.length === 0) return;
    const leaving = new Set(before.map((row) => encodeKey(table, row)));
    const arriving = moved.map((row) => encodeKey(table, row));
    const scores = await guard(() => this.client.zmscore(this.keys.pks(table.name), ...arriving));
    const clash = arriving.some((key, i) => (scores[i] !== null && !leaving.has(key)) || arriving.indexOf(key) !== i);
    if (clash) throw new MoboError('DS_CONFLICT', 'A row with that primary key already exists');
  }

  private async runInsert(keys: string[], args: string[]): Promise<string | null> {
    const run = (): Promise<unknown> => this.client.evalsha(INSERT_SHA, keys.length, ...keys, ...args);
    const result = await guard(() =>
      run().catch((err: unknown) => {
        if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return this.client.eval(INSERT_SCRIPT, keys.length, ...keys, ...args);
        throw err;
      }),
    );
    return typeof result === 'string' ? result : null;
  }

  private publish(events: ChangeEvent[]): void {
    if (this.changes.wanted && events.length > 0) this.changes.publish(events);
  }
}

/** The encoded keys a filter pins down (`eq`/`in` on a one-column key, possibly inside `and`). */
function pinnedKeys(table: TableInfo, where: Filter | undefined): string[] | undefined {
  if (!where || table.primaryKey.length !== 1) return undefined;
  const key = requireColumn(table, table.primaryKey[0]!);
  if (where.op === 'eq' && where.column === key.name && where.value !== null) return [encodeField(key, where.value)];
  if (where.op === 'in' && where.column === key.name) return [...new Set(where.values.map((v) => encodeField(key, v)))];
  if (where.op === 'and') {
    for (const f of where.filters) {
      const keys = pinnedKeys(table, f);
      if (keys) return keys;
    }
  }
  return undefined;
}

async function execMulti(multi: ReturnType<Redis['multi']>): Promise<void> {
  const results = await guard(() => multi.exec());
  if (results === null) throw new MoboError('DS_CONFLICT', 'The write was aborted by a concurrent change; retry');
  for (const [err] of results) if (err) throw redisError(err);
}

const guard = errorGuard(redisError);

async function* guardIterable<T>(items: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* items;
  } catch (err) {
    throw redisError(err);
  }
}

/** ioredis errors → DS_* (the one place for Redis). */
function redisError(err: unknown): MoboError {
  if (err instanceof MoboError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  if (/ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE/.test(code) || /Connection is closed|Stream isn't writeable|max retries|connect|LOADING|MASTERDOWN/i.test(message)) {
    return new MoboError('DS_UNAVAILABLE', undefined, { cause: err });
  }
  if (/^OOM/.test(message)) return new MoboError('DS_UNAVAILABLE', 'The data source is out of memory', { cause: err });
  return new MoboError('DS_QUERY_INVALID', 'The data source rejected the command', { cause: err });
}
