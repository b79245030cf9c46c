/**
 * Redis dump and restore (the MagBackup hooks of redis.ts): every key under the namespace, of
 * any type (string, hash, list, set, zset, stream …), with its remaining time to live.
 *
 * A dump is `keys` chunks (each key's name, binary-safe as base64, its type, its PTTL and its
 * DUMP payload) followed by the portable tables and rows (dump.ts: what verify's trial restore,
 * the manifest's counts and other backends read). Table rows are thus in the archive twice,
 * once as keys and once as rows; a Redis restore uses the keys (an archive without them, the rows).
 *
 * A restore stages everything under a prefix of its own outside the namespace
 * (`mobo-restore:<uuid>:` + the key's name: RESTORE … REPLACE with the key's PTTL, or the
 * portable tables built there by a second adapter), counts the staged tables' rows, and then
 * swaps in one MULTI/EXEC: the replaced tables' live keys deleted, every staged key RENAMEd to
 * its name (a rename keeps the TTL), the table names added to the namespace's table set. The
 * live keys are WATCHed, so a write to a replaced table during the restore aborts the swap
 * (DS_CONFLICT, nothing changed) instead of being half-overwritten. Until the EXEC, nothing in
 * the namespace changes; whatever is left of the stage is deleted at the end.
 *
 * Known limits: a key whose TTL ran out between the SCAN and its DUMP is not in the dump; the
 * TTL restored is what was left at dump time (not an absolute expiry); the swap is one MULTI,
 * so a very large key set is one large transaction.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { MoboError } from '../runtime/index.js';
import { restoreTables } from './dump.js';
import type { RedisKeys } from './redis-model.js';
import type { Adapter, DumpChunk, RedisKeyDump, RestoreOptions, TableInfo } from './types.js';

const SCAN_COUNT = 500;
const STAGE_PREFIX = 'mobo-restore:';

/** Every key under `namespace:` (SCAN, binary-safe), in chunks of DUMP payloads with their type and PTTL. */
export async function* dumpKeys(client: Redis, namespace: string): AsyncIterable<DumpChunk> {
  const match = `${globEscape(namespace)}:*`;
  let cursor = '0';
  do {
    const [next, keys] = await client.scanBuffer(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT);
    cursor = next.toString();
    if (keys.length === 0) continue;
    const pipeline = client.pipeline();
    for (const key of keys) pipeline.type(key).pttl(key).dumpBuffer(key);
    const results = (await pipeline.exec()) ?? [];
    const dumped: RedisKeyDump[] = [];
    keys.forEach((key, i) => {
      const [[typeErr, type], [ttlErr, pttl], [dumpErr, payload]] = [results[3 * i]!, results[3 * i + 1]!, results[3 * i + 2]!];
      const err = typeErr ?? ttlErr ?? dumpErr;
      if (err) throw err;
      // Gone between the SCAN and the DUMP (expired or deleted): not part of the dump.
      if (payload === null || type === 'none') return;
      dumped.push({ key: key.toString('base64'), type: String(type), pttl: Number(pttl), value: (payload as Buffer).toString('base64') });
    });
    if (dumped.length > 0) yield { kind: 'keys', keys: dumped };
  } while (cursor !== '0');
}

export interface RedisRestoreTarget {
  client: Redis;
  keys: RedisKeys;
  namespace: string;
  /** A second adapter on the same server with another namespace (the portable stage). */
  adapterFor(namespace: string): Adapter;
  /** The live table definitions of these names (absent ones left out). */
  liveTables(names: readonly string[]): Promise<TableInfo[]>;
  invalidate(): void;
}

/** Stages the dump beside the namespace and swaps it in with one MULTI (see the header). */
export async function restoreKeys(target: RedisRestoreTarget, chunks: AsyncIterable<DumpChunk>, options: RestoreOptions = {}): Promise<void> {
  const { client } = target;
  const prefix = Buffer.from(`${STAGE_PREFIX}${randomUUID()}:`);
  const staged = (key: Buffer | string) => Buffer.concat([prefix, Buffer.from(key)]);
  const step = async (name: Parameters<NonNullable<RestoreOptions['checkpoint']>>[0]) => options.checkpoint?.(name);
  const tables: TableInfo[] = [];
  try {
    await step('staged');
    // The keys come first in a dump: once one is seen the rows are not needed (they are the same data).
    let native = false;
    const portable = async function* (): AsyncIterable<DumpChunk> {
      for await (const chunk of chunks) {
        if (chunk.kind === 'keys') {
          native = true;
          const pipeline = client.pipeline();
          for (const k of chunk.keys) pipeline.restore(staged(Buffer.from(k.key, 'base64')), Math.max(0, k.pttl), Buffer.from(k.value, 'base64'), 'REPLACE');
          for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
          continue;
        }
        if (chunk.kind === 'table') {
          tables.push(chunk.table);
          if (tables.length === 1) await step('created');
        }
        if (!native) yield chunk;
      }
    };
    // Without keys (an archive of another backend, or of before them): the portable tables, built by an adapter whose namespace is the staged name of ours.
    const stage = target.adapterFor(staged(target.namespace).toString());
    try {
      await stage.connect();
      await restoreTables(stage, portable());
    } finally {
      await stage.close();
    }
    await step('rows');
    await step('constraints');
    await options.check?.(async (table) => client.zcard(staged(target.keys.pks(table))));
    await step('checked');
    await swap(target, prefix, tables, () => step('swap'));
    target.invalidate();
  } finally {
    await dropStage(client, prefix);
  }
}

async function swap(target: RedisRestoreTarget, prefix: Buffer, tables: readonly TableInfo[], beforeCommit: () => Promise<void>): Promise<void> {
  // A connection of its own: WATCH belongs to a connection, and the adapter's is shared by concurrent writes (whose EXEC would end it).
  const client = target.client.duplicate();
  await client.connect();
  try {
    await swapOn(client, target, prefix, tables, beforeCommit);
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

async function swapOn(client: Redis, target: RedisRestoreTarget, prefix: Buffer, tables: readonly TableInfo[], beforeCommit: () => Promise<void>): Promise<void> {
  const { keys } = target;
  const replaced = await target.liveTables(tables.map((t) => t.name));
  const tableSet = Buffer.from(keys.tables());
  await client.watch(...replaced.map((t) => keys.pks(t.name)), keys.tables());
  try {
    const multi = client.multi();
    for (const table of replaced) {
      const rows = await client.zrange(keys.pks(table.name), '0', '-1');
      const live = [...rows.map((pk) => keys.row(table.name, pk)), keys.pks(table.name), keys.seq(table.name), keys.schema(table.name)];
      for (let i = 0; i < live.length; i += SCAN_COUNT) multi.del(...live.slice(i, i + SCAN_COUNT));
    }
    for await (const key of scanAll(client, prefix)) {
      const name = key.subarray(prefix.length);
      // The table set is merged, not replaced: live tables the archive does not hold stay listed.
      if (name.equals(tableSet)) multi.sunionstore(tableSet, tableSet, key);
      else multi.rename(key, name);
    }
    await beforeCommit();
    const results = await multi.exec();
    if (results === null) throw new MoboError('DS_CONFLICT', 'A replaced table was written to during the restore; nothing was changed, retry', { details: { tables: replaced.map((t) => t.name) } });
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0]!;
  } finally {
    await client.unwatch().catch(() => undefined);
  }
}

async function* scanAll(client: Redis, prefix: Buffer): AsyncIterable<Buffer> {
  const match = `${globEscape(prefix.toString())}*`;
  let cursor = '0';
  do {
    const [next, keys] = await client.scanBuffer(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT);
    cursor = next.toString();
    yield* keys;
  } while (cursor !== '0');
}

async function dropStage(client: Redis, prefix: Buffer): Promise<void> {
  const left: Buffer[] = [];
  for await (const key of scanAll(client, prefix)) left.push(key);
  for (let i = 0; i < left.length; i += SCAN_COUNT) await client.del(...left.slice(i, i + SCAN_COUNT));
}

/** A literal for a SCAN MATCH pattern. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
