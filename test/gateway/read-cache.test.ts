import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import { ReadCache } from '../../gateway/rest/read-cache.js';
import { tempDir } from '../support/cli.js';
import { startTestNode } from '../support/node.js';
import { pgOwnDatabase, pgQuery } from '../support/sql.js';
import { waitFor } from '../support/wait.js';

describe('ReadCache', () => {
  const limits = { maxRows: 20, ttlMs: 100 };
  const rows = (name: string) => [{ id: 1, name }];

  it('serves an answer until its table is written, and only that table', () => {
    const cache = new ReadCache(() => limits);
    cache.set('a', 'q', rows('x'), cache.generation('a'));
    cache.set('b', 'q', rows('y'), cache.generation('b'));
    expect(cache.get('a', 'q')).toEqual(rows('x'));
    cache.invalidate('a');
    expect(cache.get('a', 'q')).toBeUndefined();
    expect(cache.get('b', 'q')).toEqual(rows('y'));
  });

  it('never stores a read that raced a write or a clear', () => {
    const cache = new ReadCache(() => limits);
    const before = cache.generation('a');
    cache.invalidate('a'); // the write lands while the read is out
    cache.set('a', 'q', rows('old'), before);
    expect(cache.get('a', 'q')).toBeUndefined();
    const beforeClear = cache.generation('a');
    cache.clear();
    cache.set('a', 'q', rows('old'), beforeClear);
    expect(cache.get('a', 'q')).toBeUndefined();
    cache.set('a', 'q', rows('new'), cache.generation('a'));
    expect(cache.get('a', 'q')).toEqual(rows('new'));
  });

  it('expires entries after ttlMs, and evicts the least recently used beyond maxRows', () => {
    const cache = new ReadCache(() => limits);
    const two = (name: string) => [...rows(name), ...rows(name)];
    for (let i = 1; i <= 10; i++) cache.set('a', `q${i}`, two(String(i)), cache.generation('a'), 0); // 20 rows: full
    expect(cache.get('a', 'q1', 50)).toEqual(two('1')); // q1 is now the most recent
    cache.set('a', 'q11', two('11'), cache.generation('a'), 50);
    expect(cache.get('a', 'q2', 60)).toBeUndefined();
    expect(cache.get('a', 'q1', 60)).toEqual(two('1'));
    expect(cache.get('a', 'q1', 100)).toBeUndefined();
    expect(cache.get('a', 'q11', 149)).toEqual(two('11'));
  });

  it('does not keep an answer larger than a tenth of maxRows', () => {
    const cache = new ReadCache(() => limits);
    cache.set('a', 'big', [...rows('1'), ...rows('2'), ...rows('3')], cache.generation('a'));
    expect(cache.get('a', 'big')).toBeUndefined();
  });

  it('keeps nothing while switched off', () => {
    let on = false;
    const cache = new ReadCache(() => (on ? limits : undefined));
    cache.set('a', 'q', rows('x'), cache.generation('a'));
    on = true;
    expect(cache.get('a', 'q')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});

describe('MagGate with the read cache on (Postgres)', () => {
  const dir = tempDir('mobo-cache-');
  const suffix = Math.random().toString(36).slice(2, 8);
  const table = `cached_${suffix}`;
  const [parent, child] = [`parent_${suffix}`, `child_${suffix}`];
  const onPg = (sql: string) => pgQuery(url, sql);
  // A database of its own: a change-feed event from anyone else's table in a shared one
  // rightly drops this source's answers, which would make the hit counts below meaningless.
  let database: Awaited<ReturnType<typeof pgOwnDatabase>>;
  let url: string;
  let node: MoboNode;
  let base: string;
  let key: string;
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } });
  const name = async (id: number): Promise<string | undefined> => ((await (await call(`/v1/shop/pg/${table}/${id}`)).json()) as { data?: { name: string } }).data?.name;
  const cacheHits = async (): Promise<number> => {
    const text = await (await fetch(`${base}/metrics`)).text();
    return Number(/mobo_read_cache_lookups_total\{result="hit"\} (\d+)/.exec(text)?.[1] ?? 0);
  };

  beforeAll(async () => {
    database = await pgOwnDatabase(process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test', 'mobo_cache');
    url = database.url;
    const roomy = { MOBO_RATE_LIMITS__PER_IP__RPS: '10000', MOBO_RATE_LIMITS__PER_IP__BURST: '10000', MOBO_RATE_LIMITS__PER_KEY__RPS: '10000', MOBO_RATE_LIMITS__PER_KEY__BURST: '10000' };
    node = await startTestNode({ ...roomy, MOBO_HTTP__READ_CACHE__ENABLED: 'true', MOBO_HTTP__READ_CACHE__TTL_MS: '600000' }, dir);
    const ask = <T>(actor: string, type: string, payload: unknown) => node.system.ref(node.address(actor)).ask<T>(type, payload, { timeoutMs: 15_000 });
    await onPg(`CREATE TABLE ${parent} (id integer PRIMARY KEY); CREATE TABLE ${child} (id integer PRIMARY KEY, parent_id integer NOT NULL REFERENCES ${parent} ON DELETE CASCADE)`);
    await onPg(`INSERT INTO ${parent} VALUES (1), (2); INSERT INTO ${child} VALUES (10, 1), (20, 2)`);
    await ask('catalog', 'project.create', { project: 'shop' });
    await ask('catalog', 'source.add', { project: 'shop', name: 'pg', kind: 'postgres', url });
    const data = new DataClient(node.system.ref(sourceAddress('shop', 'pg')));
    await data.createTable({
      name: table,
      primaryKey: ['id'],
      columns: [
        { name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false },
        { name: 'name', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
      ],
    });
    await data.insert(table, [{ id: 1, name: 'one' }, { id: 2, name: 'two' }], false);
    key = (await ask<{ key: string }>('auth', 'key.create', { project: 'shop', role: 'developer' })).key;
    base = `http://127.0.0.1:${(JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as { port: number }).port}`;
  });

  afterAll(async () => {
    await new DataClient(node.system.ref(sourceAddress('shop', 'pg'))).dropTable(table).catch(() => undefined);
    await node?.stop();
    await database?.drop();
  });

  it('answers repeated reads from memory', async () => {
    expect(await name(1)).toBe('one');
    const hits = await cacheHits();
    expect(await name(1)).toBe('one');
    expect(await cacheHits()).toBeGreaterThan(hits);
  });

  it('never returns the old row to a read after an acknowledged write, while other reads keep filling the cache', async () => {
    let writing = true;
    const readers = Array.from({ length: 4 }, async () => {
      while (writing) await Promise.all([name(2), call(`/v1/shop/pg/${table}?id=eq.2&select=name`).then((r) => r.json())]);
    });
    try {
      for (let i = 0; i < 25; i++) {
        const patched = await call(`/v1/shop/pg/${table}/2`, { method: 'PATCH', body: JSON.stringify({ name: `v${i}` }) });
        expect(patched.status).toBe(200);
        expect(await name(2)).toBe(`v${i}`);
        const list = (await (await call(`/v1/shop/pg/${table}?id=eq.2&select=name`)).json()) as { data: Array<{ name: string }> };
        expect(list.data).toEqual([{ name: `v${i}` }]);
      }
      const created = await call(`/v1/shop/pg/${table}`, { method: 'POST', body: JSON.stringify({ id: 3, name: 'three' }) });
      expect(created.status).toBe(201);
      expect(await name(3)).toBe('three');
      expect((await call(`/v1/shop/pg/${table}/3`, { method: 'DELETE' })).status).toBe(204);
      expect((await call(`/v1/shop/pg/${table}/3`)).status).toBe(404);
    } finally {
      writing = false;
      await Promise.all(readers);
    }
  });

  it('drops cached answers of every table of the source on a write, since a cascade changes other tables', async () => {
    const children = async () => ((await (await call(`/v1/shop/pg/${child}?order=id`)).json()) as { data: Array<{ id: number }> }).data.map((c) => c.id);
    expect(await children()).toEqual([10, 20]);
    expect(await children()).toEqual([10, 20]); // now from the cache
    expect((await call(`/v1/shop/pg/${parent}/1`, { method: 'DELETE' })).status).toBe(204);
    expect(await children()).toEqual([20]);
  });

  it('drops a cached row when the change feed reports a write that bypassed MagGate', async () => {
    expect(await name(1)).toBe('one');
    const direct = new pg.Client({ connectionString: url });
    await direct.connect();
    try {
      await direct.query(`UPDATE "${table}" SET name = 'changed outside' WHERE id = 1`);
    } finally {
      await direct.end();
    }
    await waitFor(async () => (await name(1)) === 'changed outside', 'the feed to drop the cached row');
  });
});
