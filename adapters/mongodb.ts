/**
 * MongoDB through the official driver (imported here and, for its EJSON, in mongo-dump.ts). Collections are tables in
 * the database `namespace` (default: the URL's). A table created here keeps its TableInfo in
 * `mobo_schema`; its one-column primary key is stored as `_id` (renamed back on the way out);
 * a composite key gets an ObjectId `_id` and a unique index over its columns. Collections
 * created elsewhere are introspected by sampling 100 documents (`_id` is their key; an ObjectId
 * `_id` reads as its 24-hex string and filters on it are converted back).
 *
 * Filters compile to a filter document (mongo-filter.ts); order uses an aggregation so nulls
 * sort as on the SQL backends. Generated integer keys come from `mobo_counters`. Inserts are
 * checked for existing keys first and compensated if a later row fails; there are no atomic
 * multi-row writes without a replica set. Transactions need a replica set: with one, sessions;
 * without, DS_UNSUPPORTED. Change feed: every change made through this adapter instance.
 * dump() is not a consistent snapshot: it reads collection by collection (dump.ts).
 *
 * UNVERIFIED: no MongoDB server runs on the machine this was written on; the conformance suite
 * runs against it when MONGODB_URL is set.
 */
import { randomUUID } from 'node:crypto';
import { MongoClient, ObjectId } from 'mongodb';
import type { ClientSession, Db, Document } from 'mongodb';
import { BaseAdapter } from './base.js';
import { DocumentSchemaEditor } from './document-schema.js';
import { errorGuard } from './guard.js';
import type { ChangeSink } from './changes.js';
import { LocalChangeSource, PendingChanges, changeEvents } from './changes.js';
import { requireColumn } from './columns.js';
import { poolOptions } from './options.js';
import { dumpTables } from './dump.js';
import { dumpCollections, restoreCollections } from './mongo-dump.js';
import type { MongoFields } from './mongo-filter.js';
import { toMongoFilter } from './mongo-filter.js';
import type { Filter, Scalar } from './query.js';
import type { SchemaCache } from './schema-cache.js';
import { generatedKey } from './sql/ddl.js';
import type { Adapter, ChangeEvent, ColumnInfo, ColumnType, DataOps, DumpChunk, Query, RestoreOptions, Row, SchemaInfo, SourceConfig, TableInfo } from './types.js';
import { checkTableDefinition, preparePatch, prepareQuery, prepareRows, prepareWhere } from './validate.js';
import { decodeValue } from './values.js';
import { MoboError } from '../runtime/index.js';

const SCHEMA_COLLECTION = 'mobo_schema';
const COUNTERS_COLLECTION = 'mobo_counters';
const SAMPLE_SIZE = 100;
const NULL_FLAG = '__mobo_null_';

export function createMongoAdapter(config: SourceConfig): Adapter {
  return new MongoAdapter(config);
}

/** How one table maps onto its collection's documents. */
class CollectionMap implements MongoFields {
  private readonly idColumn: string | undefined;

  constructor(readonly table: TableInfo) {
    this.idColumn = table.primaryKey.length === 1 ? table.primaryKey[0] : undefined;
  }

  field(column: string): string {
    return column === this.idColumn ? '_id' : requireColumn(this.table, column).name;
  }

  /** The column a document field holds (`_id`: the one-column key). */
  column(field: string): string {
    return field === '_id' && this.idColumn !== undefined ? this.idColumn : field;
  }

  value(column: string, value: Scalar | unknown): unknown {
    if (value === null) return null;
    const info = requireColumn(this.table, column);
    if (info.nativeType === 'objectId' && typeof value === 'string' && ObjectId.isValid(value)) return new ObjectId(value);
    if (info.type === 'timestamp' && typeof value === 'string') return new Date(value);
    return value;
  }

  toDocument(row: Row): Document {
    const doc: Document = {};
    for (const [column, value] of Object.entries(row)) if (value !== null) doc[this.field(column)] = this.value(column, value);
    return doc;
  }

  toRow(doc: Document): Row {
    const row: Row = {};
    for (const column of this.table.columns) row[column.name] = decodeBson(column, doc[this.field(column.name)]);
    return row;
  }

  keyFilter(rows: Row[]): Document {
    if (this.idColumn !== undefined) return { _id: { $in: rows.map((r) => this.value(this.idColumn!, r[this.idColumn!])) } };
    return { $or: rows.map((r) => Object.fromEntries(this.table.primaryKey.map((k) => [k, this.value(k, r[k])]))) };
  }
}

function decodeBson(column: ColumnInfo, raw: unknown): unknown {
  if (raw === null || raw === undefined) return null;
  if (raw instanceof ObjectId) return raw.toHexString();
  const bson = raw as { _bsontype?: string; buffer?: Uint8Array; toNumber?: () => number; toString(): string };
  if (bson._bsontype === 'Binary' && bson.buffer) return Buffer.from(bson.buffer);
  if (bson._bsontype === 'Long' && bson.toNumber) return bson.toNumber();
  if (bson._bsontype === 'Decimal128') return Number(bson.toString());
  return decodeValue(column.type, raw, false);
}

function inferType(values: unknown[]): { type: ColumnType; nativeType: string } {
  const sample = values.find((v) => v !== null && v !== undefined);
  const bsonType = (sample as { _bsontype?: string } | undefined)?._bsontype;
  if (sample instanceof ObjectId) return { type: 'text', nativeType: 'objectId' };
  if (typeof sample === 'string') return { type: 'text', nativeType: 'string' };
  if (typeof sample === 'boolean') return { type: 'boolean', nativeType: 'bool' };
  if (sample instanceof Date) return { type: 'timestamp', nativeType: 'date' };
  if (bsonType === 'Binary') return { type: 'bytes', nativeType: 'binData' };
  if (typeof sample === 'number' || bsonType === 'Long' || bsonType === 'Decimal128') {
    const integral = values.every((v) => v === null || v === undefined || (typeof v === 'number' ? Number.isInteger(v) : (v as { _bsontype?: string })._bsontype === 'Long'));
    return integral ? { type: 'integer', nativeType: 'number' } : { type: 'float', nativeType: 'number' };
  }
  return { type: 'json', nativeType: 'object' };
}

class MongoAdapter extends BaseAdapter {
  readonly kind = 'mongodb';
  protected readonly changes = new LocalChangeSource();
  protected readonly ops: MongoDataOps;
  private readonly client: MongoClient;
  private replicaSet = false;
  /** The declared row model and the collections' indexes (document-schema.ts). */
  readonly schemaEditor: DocumentSchemaEditor;

  constructor(private readonly config: SourceConfig) {
    super();
    const options = poolOptions(config);
    this.client = new MongoClient(config.url, {
      maxPoolSize: options.max,
      maxIdleTimeMS: options.idleTimeoutMs,
      connectTimeoutMS: options.connectTimeoutMs,
      serverSelectionTimeoutMS: options.connectTimeoutMs,
    });
    this.ops = new MongoDataOps(() => this.db, this.schema, this.changes, undefined);
    this.schemaEditor = new DocumentSchemaEditor(
      {
        kind: 'mongodb',
        createTable: (table) => this.createTable(table),
        dropTable: (table) => this.dropTable(table),
        declare: async (table) => {
          await guard(() => this.db.collection<{ _id: string; table: TableInfo }>(SCHEMA_COLLECTION).replaceOne({ _id: table.name }, { table }, { upsert: true }));
          this.schema.invalidate();
        },
        indexes: async (table) => {
          const map = new CollectionMap(await this.schema.table(table));
          const found = await guard(() => this.db.collection(table).listIndexes().toArray());
          return found.filter((i) => i['name'] !== '_id_').map((i) => ({ name: String(i['name']), columns: Object.keys(i['key'] as object).map((f) => map.column(f)), unique: i['unique'] === true }));
        },
        createIndex: async (table, index) => {
          const map = new CollectionMap(await this.schema.table(table));
          await guard(() => this.db.collection(table).createIndex(Object.fromEntries(index.columns.map((c) => [map.field(c), 1])), { name: index.name, unique: index.unique }));
        },
        dropIndex: async (table, index) => void (await guard(() => this.db.collection(table).dropIndex(index))),
      },
      this.schema,
    );
  }

  private get db(): Db {
    return this.client.db(this.config.namespace);
  }

  async connect(): Promise<void> {
    await guard(async () => {
      await this.client.connect();
      const hello = await this.db.command({ hello: 1 });
      this.replicaSet = typeof hello['setName'] === 'string';
    });
  }

  async createTable(table: TableInfo): Promise<void> {
    checkTableDefinition(table);
    await this.assertTableAbsent(table.name);
    const definition: TableInfo = { name: table.name, columns: table.columns.map((c) => ({ ...c })), primaryKey: [...table.primaryKey] };
    await guard(async () => {
      const collection = await this.db.createCollection(table.name);
      if (table.primaryKey.length > 1) await collection.createIndex(Object.fromEntries(table.primaryKey.map((k) => [k, 1])), { unique: true });
      await this.db.collection<{ _id: string; table: TableInfo }>(SCHEMA_COLLECTION).insertOne({ _id: table.name, table: definition });
    });
    this.schema.invalidate();
  }

  async dropTable(name: string): Promise<void> {
    const table = await this.schema.table(name);
    await guard(async () => {
      await this.db.collection(table.name).drop();
      await this.db.collection<{ _id: string }>(SCHEMA_COLLECTION).deleteOne({ _id: table.name });
      await this.db.collection<{ _id: string }>(COUNTERS_COLLECTION).deleteOne({ _id: table.name });
    });
    this.schema.invalidate();
  }

  /** Every collection with its indexes and EJSON documents, then the portable tables (mongo-dump.ts). */
  override async *dump(): AsyncIterable<DumpChunk> {
    yield* dumpCollections(this.db);
    yield* dumpTables(this);
  }

  /** Staged collections renamed over the live ones (mongo-dump.ts). */
  override async restore(chunks: AsyncIterable<DumpChunk>, options: RestoreOptions = {}): Promise<void> {
    await restoreCollections({ db: this.db, adapter: this, invalidate: () => this.schema.invalidate() }, chunks, options);
  }

  async transaction<T>(fn: (tx: DataOps) => Promise<T>): Promise<T> {
    if (!this.replicaSet) throw new MoboError('DS_UNSUPPORTED', 'MongoDB transactions need a replica set; this server is standalone');
    const session = this.client.startSession();
    const pending = new PendingChanges(this.changes.wanted);
    try {
      const result = await session.withTransaction(() => fn(new MongoDataOps(() => this.db, this.schema, pending, session)));
      this.changes.publish(pending.events);
      return result;
    } catch (err) {
      throw mongoError(err);
    } finally {
      await session.endSession();
    }
  }

  protected probe(): Promise<unknown> {
    return guard(() => this.db.command({ ping: 1 }));
  }

  protected disconnect(): Promise<void> {
    return this.client.close();
  }

  protected async loadSchema(): Promise<SchemaInfo> {
    return guard(async () => {
      const declared = new Map(
        (await this.db.collection<{ _id: string; table: TableInfo }>(SCHEMA_COLLECTION).find().toArray()).map((d) => [d._id, d.table]),
      );
      const names = (await this.db.listCollections({}, { nameOnly: true }).toArray())
        .map((c) => c.name)
        .filter((n) => !n.startsWith('mobo_') && !n.startsWith('system.'))
        .sort();
      const tables: TableInfo[] = [];
      for (const name of names) tables.push(declared.get(name) ?? (await this.sampleTable(name)));
      return { tables };
    });
  }

  private async sampleTable(name: string): Promise<TableInfo> {
    const docs = await this.db.collection(name).find().limit(SAMPLE_SIZE).toArray();
    const fields = [...new Set(['_id', ...docs.flatMap((d) => Object.keys(d))])];
    const columns = fields.map((field): ColumnInfo => {
      const { type, nativeType } = inferType(docs.map((d) => d[field] as unknown));
      return { name: field, type, nativeType, nullable: field !== '_id', hasDefault: field === '_id' && nativeType === 'objectId' };
    });
    return { name, columns, primaryKey: ['_id'] };
  }
}

/** CRUD on collections, optionally inside a session's transaction. */
class MongoDataOps implements DataOps {
  constructor(
    private readonly db: () => Db,
    private readonly schema: SchemaCache,
    private readonly changes: ChangeSink,
    private readonly session: ClientSession | undefined,
  ) {}

  async select(query: Query): Promise<Row[]> {
    const map = await this.map(query.table);
    const prepared = prepareQuery(map.table, query);
    const pipeline: Document[] = [{ $match: toMongoFilter(prepared.where, map) }];
    if (prepared.order?.length) {
      const sort: Document = {};
      const flags: Document = {};
      prepared.order.forEach((key, i) => {
        const field = `$${map.field(key.column)}`;
        const nullsFirst = (key.nulls ?? (key.direction === 'asc' ? 'last' : 'first')) === 'first';
        flags[`${NULL_FLAG}${i}`] = { $cond: [{ $eq: [{ $ifNull: [field, null] }, null] }, 1, 0] };
        sort[`${NULL_FLAG}${i}`] = nullsFirst ? -1 : 1;
        sort[map.field(key.column)] = key.direction === 'asc' ? 1 : -1;
      });
      pipeline.push({ $addFields: flags }, { $sort: sort });
    }
    if (prepared.offset) pipeline.push({ $skip: prepared.offset });
    if (prepared.limit !== undefined) pipeline.push({ $limit: prepared.limit });
    if (prepared.limit === 0) return [];
    const docs = await guard(() => this.collection(map).aggregate(pipeline, { session: this.session }).toArray());
    const rows = docs.map((d) => map.toRow(d));
    const columns = prepared.columns;
    return columns ? rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c]]))) : rows;
  }

  async count(query: Pick<Query, 'table' | 'where'>): Promise<number> {
    const map = await this.map(query.table);
    const filter = toMongoFilter(prepareWhere(map.table, query.where), map);
    return guard(() => this.collection(map).countDocuments(filter, { session: this.session }));
  }

  async insert(tableName: string, rows: Row[], returning = false): Promise<Row[]> {
    const map = await this.map(tableName);
    const complete = await this.withGeneratedKeys(map.table, prepareRows(map.table, rows));
    if (complete.length === 0) return [];
    const collection = this.collection(map);
    if (map.table.primaryKey.length > 0 && (await guard(() => collection.countDocuments(map.keyFilter(complete), { session: this.session, limit: 1 }))) > 0) {
      throw new MoboError('DS_CONFLICT', 'A row with that primary key already exists');
    }
    const docs = complete.map((row) => map.toDocument(row));
    try {
      await collection.insertMany(docs, { ordered: true, session: this.session });
    } catch (err) {
      if (!this.session) await collection.deleteMany(map.keyFilter(complete)).catch(() => undefined);
      throw mongoError(err);
    }
    this.publish(changeEvents(map.table, 'INSERT', complete));
    return returning ? complete : [];
  }

  async update(query: Pick<Query, 'table' | 'where'>, patch: Row, returning = false): Promise<Row[]> {
    const map = await this.map(query.table);
    const changes = preparePatch(map.table, patch);
    const before = await this.matching(map, prepareWhere(map.table, query.where));
    const after = before.map((row) => ({ ...row, ...changes }));
    const keyMoves = map.table.primaryKey.some((k) => k in changes);
    if (before.length > 0) {
      await guard(async () => {
        const collection = this.collection(map);
        if (keyMoves) {
          await collection.deleteMany(map.keyFilter(before), { session: this.session });
          await collection.insertMany(after.map((row) => map.toDocument(row)), { session: this.session, ordered: true }).catch(async (err: unknown) => {
            if (!this.session) await collection.insertMany(before.map((row) => map.toDocument(row))).catch(() => undefined);
            throw err;
          });
        } else {
          const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== null).map(([c, v]) => [map.field(c), map.value(c, v)]));
          const unset = Object.fromEntries(Object.keys(changes).filter((c) => changes[c] === null).map((c) => [map.field(c), '']));
          await collection.updateMany(map.keyFilter(before), { ...(Object.keys(set).length ? { $set: set } : {}), ...(Object.keys(unset).length ? { $unset: unset } : {}) }, { session: this.session });
        }
      });
    }
    this.publish(changeEvents(map.table, 'UPDATE', after, before));
    return returning ? after : [];
  }

  async delete(query: Pick<Query, 'table' | 'where'>, returning = false): Promise<Row[]> {
    const map = await this.map(query.table);
    const before = await this.matching(map, prepareWhere(map.table, query.where));
    if (before.length > 0) await guard(() => this.collection(map).deleteMany(map.keyFilter(before), { session: this.session }));
    this.publish(changeEvents(map.table, 'DELETE', [], before));
    return returning ? before : [];
  }

  private async map(table: string): Promise<CollectionMap> {
    return new CollectionMap(await this.schema.table(table));
  }

  private collection(map: CollectionMap) {
    return this.db().collection(map.table.name);
  }

  private async matching(map: CollectionMap, where: Filter | undefined): Promise<Row[]> {
    const docs = await guard(() => this.collection(map).find(toMongoFilter(where, map), { session: this.session }).toArray());
    return docs.map((d) => map.toRow(d));
  }

  private async withGeneratedKeys(table: TableInfo, rows: Row[]): Promise<Row[]> {
    const generated = generatedKey(table);
    const column = generated === undefined ? undefined : requireColumn(table, generated);
    const counters = this.db().collection<{ _id: string; seq: number }>(COUNTERS_COLLECTION);
    const missing = column ? rows.filter((row) => row[column.name] === undefined || row[column.name] === null).length : 0;
    let next = 0;
    if (column?.type === 'integer') {
      const explicit = rows.map((row) => row[column.name]).filter((v): v is number => typeof v === 'number');
      const counter = await guard(() =>
        counters.findOneAndUpdate({ _id: table.name }, { $inc: { seq: missing } }, { upsert: true, returnDocument: 'after', session: this.session }),
      );
      next = (counter?.seq ?? missing) - missing;
      if (explicit.length > 0) await guard(() => counters.updateOne({ _id: table.name }, { $max: { seq: Math.max(...explicit) } }, { session: this.session }));
    }
    return rows.map((row) => {
      const complete: Row = {};
      for (const c of table.columns) {
        let value = row[c.name] ?? null;
        if (value === null && c.name === generated) value = c.type === 'integer' ? ++next : c.nativeType === 'objectId' ? new ObjectId().toHexString() : randomUUID();
        if (value === null && !c.nullable) throw new MoboError('DS_CONSTRAINT', `Column ${c.name} cannot be null`, { details: { column: c.name } });
        complete[c.name] = value;
      }
      return complete;
    });
  }

  private publish(events: ChangeEvent[]): void {
    if (this.changes.wanted && events.length > 0) this.changes.publish(events);
  }
}

const guard = errorGuard(mongoError);

/** Driver errors → DS_* (the one place for MongoDB). */
function mongoError(err: unknown): MoboError {
  if (err instanceof MoboError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: number; name?: string };
  if (e.code === 11000) return new MoboError('DS_CONFLICT', 'A row with that primary key already exists', { cause: err });
  if (e.code === 121) return new MoboError('DS_CONSTRAINT', undefined, { cause: err });
  if (e.code === 26) return new MoboError('DS_TABLE_NOT_FOUND', undefined, { cause: err });
  if (e.code === 112 || e.code === 251) return new MoboError('DS_CONFLICT', 'The transaction conflicted with another; retry', { cause: err });
  if (/MongoServerSelectionError|MongoNetwork|MongoTopologyClosed|MongoNotConnected|PoolClosed/.test(e.name ?? '')) {
    return new MoboError('DS_UNAVAILABLE', undefined, { cause: err });
  }
  return new MoboError('DS_QUERY_INVALID', 'The data source rejected the query', { cause: err });
}
