import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PostgrestClient } from '@supabase/postgrest-js';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import type { TableInfo } from '../../adapters/types.js';
import { tempDir } from '../support/cli.js';
import { startTestNode } from '../support/node.js';
import { availableSources } from '../support/sources.js';

const col = (name: string, type: TableInfo['columns'][number]['type'], nullable = true) => ({ name, type, nativeType: type, nullable, hasDefault: false });

/** A booted node with one project whose sources hold an `items` table, and credentials for it. */
async function setup(node: MoboNode, dir: string, kinds: string[], table: string) {
  const ask = <T>(actor: string, type: string, payload: unknown) => node.system.ref(node.address(actor)).ask<T>(type, payload, { timeoutMs: 15_000 });
  await ask('catalog', 'project.create', { project: 'shop' });
  await ask('catalog', 'project.create', { project: 'other' });
  const sources = availableSources(dir);
  for (const kind of kinds) {
    const s = sources[kind]!;
    await ask('catalog', 'source.add', { project: 'shop', name: kind, kind: s.kind, url: s.url, ...(s.namespace ? { namespace: s.namespace } : {}) });
    const data = new DataClient(node.system.ref(sourceAddress('shop', kind)));
    await data.createTable({
      name: table,
      primaryKey: ['id'],
      columns: [col('id', 'integer', false), col('name', 'text', false), col('price', 'float'), col('owner_id', 'text'), col('active', 'boolean')],
    });
    await data.insert(
      table,
      Array.from({ length: 20 }, (_, i) => ({ id: i + 1, name: `item ${i + 1}`, price: i * 2.5, owner_id: i % 2 === 0 ? 'alice' : 'bob', active: i % 3 !== 0 })),
      false,
    );
  }
  const key = async (project: string, role: string) => (await ask<{ key: string }>('auth', 'key.create', { project, role })).key;
  const token = async (role: string, sub = 'operator', project = 'shop') => (await ask<{ access_token: string }>('auth', 'token.issue', { project, role, sub })).access_token;
  return {
    ask,
    keys: { developer: await key('shop', 'developer'), viewer: await key('shop', 'viewer'), admin: await key('shop', 'admin'), owner: await key('shop', 'owner'), other: await key('other', 'owner') },
    token,
  };
}

function port(dir: string): number {
  return (JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as { port: number }).port;
}

// Every behaviour holds with the read cache on as well as off (it is off by default).
describe.each([
  ['postgres', 'off'],
  ['sqlite', 'off'],
  ['postgres', 'on'],
  ['sqlite', 'on'],
])('MagGate REST on a %s source, read cache %s', (kind, readCache) => {
  const dir = tempDir('mobo-rest-');
  const table = `items_${Math.random().toString(36).slice(2, 8)}`;
  let node: MoboNode;
  let base: string;
  let creds: Awaited<ReturnType<typeof setup>>;
  const call = (path: string, init: RequestInit & { key?: string } = {}) => {
    const headers = new Headers(init.headers);
    if (init.key) headers.set('authorization', `Bearer ${init.key}`);
    if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
    return fetch(`${base}${path}`, { ...init, headers });
  };

  beforeAll(async () => {
    // Roomy limits: this suite makes hundreds of requests; rate limiting has its own test below.
    const roomy = { MOBO_RATE_LIMITS__PER_IP__RPS: '10000', MOBO_RATE_LIMITS__PER_IP__BURST: '10000', MOBO_RATE_LIMITS__PER_KEY__RPS: '10000', MOBO_RATE_LIMITS__PER_KEY__BURST: '10000' };
    node = await startTestNode({ ...roomy, MOBO_HTTP__READ_CACHE__ENABLED: String(readCache === 'on') }, dir);
    creds = await setup(node, dir, [kind], table);
    base = `http://127.0.0.1:${port(dir)}`;
  });
  afterAll(async () => {
    await new DataClient(node.system.ref(sourceAddress('shop', kind))).dropTable(table).catch(() => undefined);
    await node?.stop();
  });

  it('lists with the simple spelling, in the envelope, echoing X-Request-ID', async () => {
    const res = await call(`/v1/shop/${kind}/${table}?owner_id=alice&sort=id:desc&limit=3&page=1&fields=id,name`, { key: creds.keys.viewer, headers: { 'x-request-id': 'req-42' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-42');
    const body = (await res.json()) as { data: unknown[]; meta: Record<string, unknown> };
    expect(body.data).toEqual([
      { id: 19, name: 'item 19' },
      { id: 17, name: 'item 17' },
      { id: 15, name: 'item 15' },
    ]);
    expect(body.meta).toMatchObject({ request_id: 'req-42', count: 10, offset: 0 });
  });

  it('works with the real @supabase/postgrest-js client', async () => {
    const client = new PostgrestClient(`${base}/rest/v1/shop/${kind}`, { headers: { apikey: creds.keys.developer, Authorization: `Bearer ${creds.keys.developer}` } });
    const list = await client.from(table).select('id,name,price', { count: 'exact' }).gte('price', 10).or('owner_id.eq.alice,active.is.false').order('id', { ascending: true }).limit(3);
    expect(list.error).toBeNull();
    expect(list.data).toEqual([
      { id: 5, name: 'item 5', price: 10 },
      { id: 7, name: 'item 7', price: 15 },
      { id: 9, name: 'item 9', price: 20 },
    ]);
    expect(list.count).toBe(10);

    const inserted = await client.from(table).insert({ id: 100, name: 'new', price: 1.5, owner_id: 'carol', active: true }).select();
    expect(inserted.error).toBeNull();
    expect(inserted.data).toEqual([{ id: 100, name: 'new', price: 1.5, owner_id: 'carol', active: true }]);

    const one = await client.from(table).select('name').eq('id', 100).single();
    expect(one.data).toEqual({ name: 'new' });

    const updated = await client.from(table).update({ price: 2 }).eq('id', 100).select('id,price');
    expect(updated.data).toEqual([{ id: 100, price: 2 }]);

    const inList = await client.from(table).select('id').in('id', [1, 2, 100]).order('id');
    expect(inList.data).toEqual([{ id: 1 }, { id: 2 }, { id: 100 }]);

    const removed = await client.from(table).delete().eq('id', 100).select('id');
    expect(removed.data).toEqual([{ id: 100 }]);

    const missing = await client.from(table).select('id').eq('id', 100).single();
    expect(missing.error?.code).toBe('PGRST116');

    const dup = await client.from(table).insert({ id: 1, name: 'dup' });
    expect(dup.status).toBe(409);
    // PostgREST's error body carries Postgres's SQLSTATE; other backends keep our catalogue code.
    expect(dup.error?.code).toBe(kind === 'postgres' ? '23505' : 'DS_CONFLICT');
  });

  it('does CRUD by id with the right status codes', async () => {
    const k = creds.keys.developer;
    const created = await call(`/v1/shop/${kind}/${table}`, { method: 'POST', key: k, body: JSON.stringify({ id: 200, name: 'two hundred', price: 9, active: false }) });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { data: unknown }).data).toMatchObject({ id: 200, name: 'two hundred' });
    const bulk = await call(`/v1/shop/${kind}/${table}`, { method: 'POST', key: k, body: JSON.stringify([{ id: 201, name: 'a' }, { id: 202, name: 'b' }]) });
    expect(bulk.status).toBe(201);
    expect(((await bulk.json()) as { data: unknown[] }).data).toHaveLength(2);
    expect((await call(`/v1/shop/${kind}/${table}/200`, { key: k }).then((r) => r.json())) as unknown).toMatchObject({ data: { id: 200, price: 9 } });
    const patched = await call(`/v1/shop/${kind}/${table}/200`, { method: 'PATCH', key: k, body: JSON.stringify({ price: 11 }) });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { data: { price: number } }).data.price).toBe(11);
    const put = await call(`/v1/shop/${kind}/${table}/200`, { method: 'PUT', key: k, body: JSON.stringify({ id: 200, name: 'renamed', price: 12, active: true, owner_id: null }) });
    expect(put.status).toBe(200);
    const gone = await call(`/v1/shop/${kind}/${table}/200`, { method: 'DELETE', key: k });
    expect(gone.status).toBe(204);
    expect((await call(`/v1/shop/${kind}/${table}/200`, { key: k })).status).toBe(404);
    expect((await call(`/v1/shop/${kind}/${table}?id=in.(201,202)`, { method: 'DELETE', key: k })).status).toBe(204);
  });

  it('answers concurrent reads by id each with its own row, even when they are merged into one query', async () => {
    const ids = ['3', '7', '3', '999', 'abc', '12', '07'];
    const responses = await Promise.all(ids.map((id) => call(`/v1/shop/${kind}/${table}/${id}?select=name`, { key: creds.keys.viewer })));
    const statuses = responses.map((r) => r.status);
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{ data?: { name: string }; error?: { code: string } }>;
    expect(statuses).toEqual([200, 200, 200, 404, 422, 200, 200]);
    expect(bodies.map((b) => b.data?.name ?? b.error?.code)).toEqual(['item 3', 'item 7', 'item 3', 'DS_ROW_NOT_FOUND', 'DS_VALUE_INVALID', 'item 12', 'item 7']);
  });

  it('never returns the old row to a read after an acknowledged write', async () => {
    const k = creds.keys.developer;
    for (let i = 0; i < 20; i++) {
      const patched = await call(`/v1/shop/${kind}/${table}/5`, { method: 'PATCH', key: k, body: JSON.stringify({ name: `v${i}` }) });
      expect(patched.status).toBe(200);
      const reads = await Promise.all([1, 2, 3].map(() => call(`/v1/shop/${kind}/${table}/5`, { key: k }).then((r) => r.json() as Promise<{ data: { name: string } }>)));
      expect(reads.map((r) => r.data.name)).toEqual([`v${i}`, `v${i}`, `v${i}`]);
      const lists = await Promise.all([1, 2].map(() => call(`/v1/shop/${kind}/${table}?id=eq.5&select=name`, { key: k }).then((r) => r.json() as Promise<{ data: Array<{ name: string }> }>)));
      expect(lists.map((l) => l.data)).toEqual([[{ name: `v${i}` }], [{ name: `v${i}` }]]);
    }
    await call(`/v1/shop/${kind}/${table}/5`, { method: 'PATCH', key: k, body: JSON.stringify({ name: 'item 5' }) });
  });

  it.each([
    ['no credentials', '', undefined, 401, 'AUTH_REQUIRED'],
    ['a bad key', '', 'ak_shop_notarealkey', 401, 'AUTH_INVALID'],
    ['another project', '', 'other', 403, 'AUTH_FORBIDDEN'],
    ['an unknown table', '/nope', 'viewer', 404, 'DS_TABLE_NOT_FOUND'],
    ['an unknown column', '?nope=eq.1', 'viewer', 400, 'DS_COLUMN_NOT_FOUND'],
    ['a malformed filter', '?or=(id.eq.1', 'viewer', 400, 'DS_QUERY_INVALID'],
    ['a bad boolean', '?active=eq.maybe', 'viewer', 422, 'DS_VALUE_INVALID'],
  ])('refuses %s with a stable code', async (_what, suffix, who, status, code) => {
    const key = who === undefined ? undefined : who in creds.keys ? creds.keys[who as keyof typeof creds.keys] : who;
    const path = suffix === '/nope' ? `/v1/shop/${kind}/nope` : `/v1/shop/${kind}/${table}${suffix}`;
    const res = await call(path, key === undefined ? {} : { key });
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { code: string; message: string }; meta: { request_id: string } };
    expect(body.error.code).toBe(code);
    expect(body.meta.request_id).toEqual(expect.any(String));
  });

  it.each([
    ['viewer', [200, 403, 403, 403]],
    ['developer', [200, 201, 200, 204]],
    ['admin', [200, 201, 200, 204]],
    ['owner', [200, 201, 200, 204]],
  ] as const)('applies the role matrix for %s (read, create, update, delete)', async (role, expected) => {
    const key = creds.keys[role];
    const id = 300 + ['viewer', 'developer', 'admin', 'owner'].indexOf(role);
    const got = [
      (await call(`/v1/shop/${kind}/${table}?limit=1`, { key })).status,
      (await call(`/v1/shop/${kind}/${table}`, { method: 'POST', key, body: JSON.stringify({ id, name: role }) })).status,
      (await call(`/v1/shop/${kind}/${table}/${id}`, { method: 'PATCH', key, body: JSON.stringify({ price: 1 }) })).status,
      (await call(`/v1/shop/${kind}/${table}/${id}`, { method: 'DELETE', key })).status,
    ];
    expect(got).toEqual(expected);
  });

  it('applies a row rule to reads and writes: owner_id = token subject', async () => {
    await creds.ask('auth', 'rule.set', { project: 'shop', rule: { source: kind, table, column: 'owner_id' } });
    const alice = await creds.token('developer', 'alice');
    const rows = (await (await call(`/v1/shop/${kind}/${table}?limit=100`, { key: alice })).json()) as { data: Array<{ owner_id: string }> };
    expect(rows.data.length).toBeGreaterThan(0);
    expect(rows.data.every((r) => r.owner_id === 'alice')).toBe(true);
    expect((await call(`/v1/shop/${kind}/${table}/2`, { key: alice })).status).toBe(404); // bob's row
    expect((await call(`/v1/shop/${kind}/${table}/2`, { method: 'DELETE', key: alice })).status).toBe(404);
    const made = await call(`/v1/shop/${kind}/${table}`, { method: 'POST', key: alice, body: JSON.stringify({ id: 400, name: 'mine', owner_id: 'bob' }) });
    expect(((await made.json()) as { data: { owner_id: string } }).data.owner_id).toBe('alice');
    await creds.ask('auth', 'rule.delete', { project: 'shop', source: kind, table });
  });

  it('never answers a hostile request with a 500 or a stack, and writes nothing for it', async () => {
    const before = await new DataClient(node.system.ref(sourceAddress('shop', kind))).count(table);
    const hostile: Array<[string, RequestInit]> = [
      [`?id=eq.1;DROP TABLE ${table}`, {}],
      [`?select=id,(select 1)`, {}],
      [`?order=id;drop`, {}],
      ['', { method: 'POST', body: '{"id": 1, ' }],
      ['', { method: 'POST', body: '[1,2,3]' }],
      ['', { method: 'POST', body: JSON.stringify({ id: 'x', name: 5 }) }],
      ['', { method: 'POST', body: JSON.stringify({ 'id" ; drop table x; --': 1 }) }],
      ['', { method: 'PATCH', body: JSON.stringify({ name: 'everyone' }) }],
      ['', { method: 'DELETE' }],
      ['/1', { method: 'PATCH', body: JSON.stringify({ id: 2 }) }],
      // Found by the fuzzer: a malformed query string on a write by id must stop the write.
      ['/1?and=-1', { method: 'DELETE' }],
      ['/1?select=a(b)', { method: 'PATCH', body: JSON.stringify({ name: 'x' }) }],
    ];
    for (const [suffix, init] of hostile) {
      const res = await call(`/v1/shop/${kind}/${table}${suffix}`, { ...init, key: creds.keys.developer });
      const text = await res.text();
      expect(res.status, `${suffix} ${String(init.body)}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      // Leak markers: stack frames, driver messages, SQL the server built.
      expect(text).not.toMatch(/\n\s+at |node_modules|syntax error|SQLITE_|does not exist|FROM "/i);
      expect(JSON.parse(text)).toMatchObject({ error: { code: expect.stringMatching(/^[A-Z_]+$/) } });
    }
    // Hostile values inside a well-formed query are data, not code: they match nothing.
    const inert = await call(`/v1/shop/${kind}/${table}?name=like.%25'--&owner_id=eq.x' OR '1'='1`, { key: creds.keys.developer });
    expect(inert.status).toBe(200);
    expect(((await inert.json()) as { data: unknown[] }).data).toEqual([]);
    expect(await new DataClient(node.system.ref(sourceAddress('shop', kind))).count(table)).toBe(before);
  });

  it('serves CORS preflights, gzip on request, metrics and a valid OpenAPI 3.1 document', async () => {
    const pre = await fetch(`${base}/v1/shop/${kind}/${table}`, { method: 'OPTIONS', headers: { origin: 'http://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,apikey' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://app.example');
    const big = await call(`/v1/shop/${kind}/${table}?limit=100`, { key: creds.keys.viewer, headers: { 'accept-encoding': 'gzip' } });
    expect(big.headers.get('content-encoding')).toBe('gzip');
    expect(((await big.json()) as { data: unknown[] }).data.length).toBeGreaterThan(10);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/mobo_http_requests_total\{method="GET",route="\/v1\/:project\/:source\/:table",status="200"\} \d+/);
    // The process's own metrics (prom-client's defaults): memory, event-loop lag, GC.
    for (const name of ['mobo_process_resident_memory_bytes', 'mobo_nodejs_eventloop_lag_seconds', 'mobo_nodejs_heap_size_used_bytes', 'mobo_uptime_seconds']) {
      expect(metrics).toMatch(new RegExp(`^${name} \\d`, 'm'));
    }
    const spec = (await (await call('/v1/shop/openapi.json', { key: creds.keys.viewer })).json()) as Record<string, unknown>;
    const validation = await new Validator().validate(spec);
    expect(validation.errors).toBeUndefined();
    expect(validation.valid).toBe(true);
    expect(Object.keys(spec.paths as object)).toContain(`/v1/shop/${kind}/${table}`);
    expect((await call('/v1/shop/openapi.json', { key: creds.keys.other })).status).toBe(403);
  });
});

describe('MagGate rate limits', () => {
  it('answers 429 with Retry-After once a key spends its burst', async () => {
    const dir = tempDir('mobo-rl-');
    const node = await startTestNode({ MOBO_RATE_LIMITS__PER_KEY__RPS: '1', MOBO_RATE_LIMITS__PER_KEY__BURST: '3' }, dir);
    try {
      const table = `rl_${Math.random().toString(36).slice(2, 8)}`;
      const creds = await setup(node, dir, ['sqlite'], table);
      const url = `http://127.0.0.1:${port(dir)}/v1/shop/sqlite/${table}?limit=1`;
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const res = await fetch(url, { headers: { authorization: `Bearer ${creds.keys.viewer}` } });
        statuses.push(res.status);
        if (res.status === 429) {
          retryAfter = res.headers.get('retry-after');
          expect(await res.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });
        }
      }
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses.slice(3)).toEqual([429, 429]);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      await node.stop();
    }
  });
});
