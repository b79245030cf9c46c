import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAdapter } from '../../adapters/index.js';
import type { Adapter, DumpChunk, RestoreStep, TableInfo } from '../../adapters/types.js';
import { uniqueName } from './helpers.js';

const URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const HOUR = 3_600_000;

/** Key names a Redis user may well have: spaces, quotes, unicode, raw bytes (not UTF-8), a glob character. */
const ODD = ['plain', 'with space', `quo"te's`, 'ünï©ødé ✓', 'star*and?[x]', '\\back'];
const BINARY = Buffer.from([0xff, 0x00, 0xfe, 0x3a, 0x0a]);

interface KeyState {
  type: string;
  /** The value as its type reads it (a set's members sorted: its encoding order is not part of it). */
  value: unknown;
  pttl: number;
}

describe('Redis dump and restore: every key of every type with its TTL, staged and swapped', () => {
  const client = new Redis(URL);
  let ns: string;
  let adapter: Adapter;
  const table: TableInfo = {
    name: 'orders',
    primaryKey: ['id'],
    columns: [
      { name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: true },
      { name: 'note', type: 'text', nativeType: 'text', nullable: true, hasDefault: false },
    ],
  };
  const key = (name: string | Buffer) => Buffer.concat([Buffer.from(`${ns}:`), Buffer.from(name)]);

  beforeAll(() => client.ping());
  afterAll(() => client.quit());
  afterEach(async () => {
    await adapter?.close();
    const left = await client.keysBuffer(`${ns}:*`);
    if (left.length > 0) await client.del(...left);
  });

  /** Every key of the namespace, by name (base64), with its type, DUMP payload and TTL. */
  async function snapshot(): Promise<Map<string, KeyState>> {
    const state = new Map<string, KeyState>();
    for (const k of await client.keysBuffer(`${ns}:*`)) {
      const [type, pttl] = await Promise.all([client.type(k), client.pttl(k)]);
      state.set(k.toString('base64'), { type, value: await read(k, type), pttl });
    }
    return state;
  }

  async function read(k: Buffer, type: string): Promise<unknown> {
    switch (type) {
      case 'string':
        return (await client.getBuffer(k))?.toString('base64');
      case 'hash':
        return await client.hgetall(k);
      case 'list':
        return await client.lrange(k, 0, -1);
      case 'set':
        return (await client.smembers(k)).sort();
      case 'zset':
        return await client.zrange(k, '0', '-1', 'WITHSCORES');
      case 'stream':
        return await client.xrange(k, '-', '+');
      default:
        throw new Error(`unexpected type ${type}`);
    }
  }

  /** The same keys and values; TTLs within bounds (set keys still have one, at most what they had; others none). */
  function expectSameKeys(after: Map<string, KeyState>, before: Map<string, KeyState>): void {
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [name, was] of before) {
      const now = after.get(name)!;
      expect({ name, type: now.type, value: now.value }).toEqual({ name, type: was.type, value: was.value });
      if (was.pttl === -1) expect(now.pttl, name).toBe(-1);
      else {
        expect(now.pttl, name).toBeGreaterThan(0);
        expect(now.pttl, name).toBeLessThanOrEqual(was.pttl);
      }
    }
  }

  async function seed(): Promise<void> {
    ns = uniqueName('mobo_rr');
    adapter = createAdapter({ kind: 'redis', url: URL, namespace: ns });
    await adapter.connect();
    await adapter.createTable(table);
    await adapter.insert('orders', [{ note: 'first' }, { note: 'ünï "quoted"' }, { note: null }]);
    for (const [i, name] of ODD.entries()) {
      await client.set(key(`str:${name}`), `value ${name}`);
      await client.hset(key(`hash:${name}`), 'field one', name, 'f2', String(i));
      await client.rpush(key(`list:${name}`), 'a', name, 'a');
      await client.sadd(key(`set:${name}`), 'x', name);
      await client.zadd(key(`zset:${name}`), 1.5, 'x', -2, name);
      await client.xadd(key(`stream:${name}`), '*', 'field', name);
    }
    await client.set(key(BINARY), BINARY);
    // TTLs on keys of each type, and on a row of the table.
    for (const kind of ['str', 'hash', 'list', 'set', 'zset', 'stream']) await client.pexpire(key(`${kind}:with space`), HOUR);
    await client.pexpire(key('table:orders:row:2'), 2 * HOUR);
  }

  async function dump(): Promise<DumpChunk[]> {
    const chunks: DumpChunk[] = [];
    for await (const chunk of adapter.dump()) chunks.push(JSON.parse(JSON.stringify(chunk)) as DumpChunk);
    return chunks;
  }
  const replay = async function* (chunks: DumpChunk[]): AsyncIterable<DumpChunk> {
    yield* chunks;
  };
  /** Staged keys of a restore of this namespace still in the server. */
  const stageLeft = async () => (await client.keys('mobo-restore:*')).filter((k) => k.includes(`:${ns}:`));

  it('dumps every key with its type and PTTL, and a restore over changed data gives back exactly those keys, TTLs within bounds', async () => {
    await seed();
    const before = await snapshot();
    const chunks = await dump();
    const dumped = chunks.flatMap((c) => (c.kind === 'keys' ? c.keys : []));
    expect(new Set(dumped.map((k) => k.type))).toEqual(new Set(['string', 'hash', 'list', 'set', 'zset', 'stream']));
    expect(dumped.find((k) => Buffer.from(k.key, 'base64').equals(key(BINARY)))).toMatchObject({ type: 'string', pttl: -1 });
    expect(dumped.find((k) => Buffer.from(k.key, 'base64').toString() === `${ns}:list:with space`)!.pttl).toBeGreaterThan(0);
    // The portable rows are there too (verify's trial restore and other backends read them).
    expect(chunks.filter((c) => c.kind === 'rows').flatMap((c) => (c.kind === 'rows' ? c.rows : []))).toHaveLength(3);

    // Change everything: values, types, TTLs, rows; delete some keys.
    await client.set(key('str:plain'), 'changed');
    await client.del(key('hash:ünï©ødé ✓'), key(BINARY));
    await client.persist(key('zset:with space'));
    await client.set(key('list:plain'), 'now a string');
    await adapter.insert('orders', [{ note: 'after the dump' }]);
    await adapter.delete({ table: 'orders', where: { op: 'eq', column: 'id', value: 1 } });

    await adapter.restore(replay(chunks), { check: async (count) => expect(await count('orders')).toBe(3) });
    expectSameKeys(await snapshot(), before);
    expect(await adapter.select({ table: 'orders', order: [{ column: 'id', direction: 'asc' }] })).toEqual([
      { id: 1, note: 'first' },
      { id: 2, note: 'ünï "quoted"' },
      { id: 3, note: null },
    ]);
    // Inserts after the restore go on from the restored counter.
    expect((await adapter.insert('orders', [{ note: 'next' }], true))[0]).toMatchObject({ id: 4 });
    expect(await stageLeft()).toEqual([]);
  });

  it('keeps live keys outside the archive, and live tables the archive does not hold', async () => {
    await seed();
    const chunks = await dump();
    await client.set(key('not in the archive'), 'stays');
    await adapter.createTable({ ...table, name: 'later' });
    await adapter.insert('later', [{ note: 'kept' }]);
    await adapter.restore(replay(chunks));
    expect(await client.get(key('not in the archive'))).toBe('stays');
    expect((await adapter.introspect(true)).tables.map((t) => t.name).sort()).toEqual(['later', 'orders']);
    expect(await adapter.count({ table: 'later' })).toBe(1);
  });

  const STEPS: RestoreStep[] = ['staged', 'created', 'rows', 'constraints', 'checked', 'swap'];
  for (const failAt of STEPS) {
    it(`a failure at step "${failAt}" leaves every live key as it was (value, type, TTL) and no stage behind`, async () => {
      await seed();
      const chunks = await dump();
      await client.set(key('str:plain'), 'changed after the dump');
      await client.del(key('set:quo"te\'s'));
      await adapter.insert('orders', [{ note: 'after the dump' }]);
      const live = await snapshot();
      const failure = new Error(`injected at ${failAt}`);
      await expect(
        adapter.restore(replay(chunks), {
          checkpoint: (step) => {
            if (step === failAt) throw failure;
          },
        }),
      ).rejects.toThrow();
      expectSameKeys(await snapshot(), live);
      expect(await adapter.count({ table: 'orders' })).toBe(4);
      expect(await stageLeft()).toEqual([]);
    });
  }

  it('a write to a replaced table during the swap aborts it (DS_CONFLICT): the live keys keep that write and nothing of the archive', async () => {
    await seed();
    const chunks = await dump();
    await client.set(key('str:plain'), 'live value');
    const other = createAdapter({ kind: 'redis', url: URL, namespace: ns });
    await other.connect();
    try {
      await expect(
        adapter.restore(replay(chunks), {
          checkpoint: async (step) => {
            if (step === 'swap') await other.insert('orders', [{ note: 'written during the swap' }]);
          },
        }),
      ).rejects.toMatchObject({ code: 'DS_CONFLICT' });
    } finally {
      await other.close();
    }
    expect(await client.get(key('str:plain'))).toBe('live value');
    expect((await adapter.select({ table: 'orders', order: [{ column: 'id', direction: 'asc' }] })).map((r) => r['note'])).toEqual(['first', 'ünï "quoted"', null, 'written during the swap']);
    expect(await stageLeft()).toEqual([]);
  });

  it('a count check that fails (a truncated archive) leaves the live keys as they were', async () => {
    await seed();
    const chunks = await dump();
    await client.set(key('str:plain'), 'live value');
    const live = await snapshot();
    await expect(
      adapter.restore(replay(chunks), {
        check: async (count) => {
          if ((await count('orders')) !== 99) throw new Error('counts differ');
        },
      }),
    ).rejects.toThrow(/counts differ/);
    expectSameKeys(await snapshot(), live);
    expect(await stageLeft()).toEqual([]);
  });

  it('an archive without keys (rows only, as another backend writes them) restores the tables through the same stage and swap', async () => {
    await seed();
    const rowsOnly = (await dump()).filter((c) => c.kind !== 'keys');
    await adapter.delete({ table: 'orders', where: { op: 'gt', column: 'id', value: 0 } });
    await adapter.restore(replay(rowsOnly), { check: async (count) => expect(await count('orders')).toBe(3) });
    expect(await adapter.count({ table: 'orders' })).toBe(3);
    expect(await client.get(key('str:plain'))).toBe('value plain');
    expect(await stageLeft()).toEqual([]);
  });
});
