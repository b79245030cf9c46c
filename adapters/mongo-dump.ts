/**
 * MongoDB dump and restore (the MagBackup hooks of mongodb.ts): every collection of the
 * database with its documents in canonical Extended JSON, so BSON types survive the JSON
 * archive as they were (ObjectId, Date, Decimal128, Binary, Long, Int32 vs Double …), and its
 * indexes, TTL indexes (`expireAfterSeconds`) included.
 *
 * A dump is `collection` and `documents` chunks first, then the portable tables and rows
 * (dump.ts: what verify's trial restore, the manifest's counts and other backends read). A
 * MongoDB restore uses the collections (an archive without them, the rows): each is built as
 * `mobo_restore_<id>_<name>` beside the live one, filled, indexed and counted, and only then
 * renamed over it (`renameCollection` with `dropTarget`: atomic per collection, not across
 * collections: MongoDB has no multi-collection rename). The bookkeeping collections
 * (`mobo_schema`, `mobo_counters`) are merged document by document, so live tables the archive
 * does not hold keep their entries. A failure before the renames leaves the live collections
 * as they were; the staged ones are dropped at the end.
 *
 * UNVERIFIED against a server: no MongoDB runs where this was written. The EJSON and index
 * handling is unit-tested without one (test/adapters/mongo-dump.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { BSON, type Db, type Document } from 'mongodb';
import { restoreTables } from './dump.js';
import type { Adapter, DumpChunk, RestoreOptions } from './types.js';

const BATCH = 1_000;
/** Collections merged document by document instead of replaced. */
export const MERGED_COLLECTIONS = ['mobo_schema', 'mobo_counters'];

export function encodeDocuments(documents: readonly Document[]): string {
  return BSON.EJSON.stringify(documents, { relaxed: false });
}

export function decodeDocuments(text: string): Document[] {
  const parsed = BSON.EJSON.parse(text, { relaxed: false }) as unknown;
  if (!Array.isArray(parsed)) throw new TypeError('documents are not an array');
  return parsed as Document[];
}

/** The index specs to recreate (createIndexes form): every index but `_id_`, without server-owned fields. */
export function indexSpecs(listed: readonly Document[]): Document[] {
  return listed.filter((ix) => ix['name'] !== '_id_').map(({ v: _v, ns: _ns, ...spec }) => spec);
}

export async function* dumpCollections(db: Db): AsyncIterable<DumpChunk> {
  const names = (await db.listCollections({ type: 'collection' }, { nameOnly: true }).toArray()).map((c) => c.name).filter((n) => !n.startsWith('system.')).sort();
  for (const name of names) {
    const collection = db.collection(name);
    yield { kind: 'collection', name, indexes: encodeDocuments(indexSpecs(await collection.listIndexes().toArray())) };
    let batch: Document[] = [];
    for await (const doc of collection.find({}, { sort: { _id: 1 } })) {
      batch.push(doc);
      if (batch.length >= BATCH) {
        yield { kind: 'documents', collection: name, documents: encodeDocuments(batch) };
        batch = [];
      }
    }
    if (batch.length > 0) yield { kind: 'documents', collection: name, documents: encodeDocuments(batch) };
  }
}

export interface MongoRestoreTarget {
  db: Db;
  /** The adapter itself (the portable path of an archive without collections). */
  adapter: Adapter;
  invalidate(): void;
}

export async function restoreCollections(target: MongoRestoreTarget, chunks: AsyncIterable<DumpChunk>, options: RestoreOptions = {}): Promise<void> {
  const { db } = target;
  const id = randomUUID().replace(/-/g, '');
  const stageOf = (name: string) => `mobo_restore_${id}_${name}`;
  const step = async (name: Parameters<NonNullable<RestoreOptions['checkpoint']>>[0]) => options.checkpoint?.(name);
  const collections = new Map<string, Document[]>();
  let native = false;
  try {
    await step('staged');
    const portable = async function* (): AsyncIterable<DumpChunk> {
      for await (const chunk of chunks) {
        if (chunk.kind === 'collection') {
          native = true;
          collections.set(chunk.name, decodeDocuments(chunk.indexes));
          await db.createCollection(stageOf(chunk.name));
          if (collections.size === 1) await step('created');
        } else if (chunk.kind === 'documents') {
          await db.collection(stageOf(chunk.collection)).insertMany(decodeDocuments(chunk.documents), { ordered: true });
        } else if (!native) {
          yield chunk;
        }
      }
    };
    // Without collections: the portable tables, in place (restore.ts has dropped the replaced ones first).
    await restoreTables(target.adapter, portable());
    await step('rows');
    for (const [name, specs] of collections) if (specs.length > 0) await db.collection(stageOf(name)).createIndexes(specs as never);
    await step('constraints');
    if (native) await options.check?.((table) => db.collection(stageOf(table)).countDocuments());
    else await options.check?.((table) => target.adapter.count({ table }));
    await step('checked');
    await step('swap');
    for (const name of collections.keys()) {
      if (MERGED_COLLECTIONS.includes(name)) {
        for await (const doc of db.collection(stageOf(name)).find()) await db.collection(name).replaceOne({ _id: doc['_id'] }, doc, { upsert: true });
      } else {
        await db.renameCollection(stageOf(name), name, { dropTarget: true });
      }
    }
    target.invalidate();
  } finally {
    for (const name of collections.keys()) await db.collection(stageOf(name)).drop().catch(() => undefined);
  }
}
