import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import { WRITE_RECORDS, WriteRecords } from '../../actors/ds/write-records.js';
import { controlStore } from '../../actors/kernel/store-slot.js';
import type { TableInfo } from '../../adapters/types.js';
import type { HttpRequest, HttpResponse } from '../../gateway/http-types.js';
import { Idempotency, REPLAYED_HEADER } from '../../gateway/rest/idempotency.js';
import { MoboError } from '../../runtime/errors.js';
import { tempDir } from '../support/cli.js';
import { NATS_URL } from '../support/nats.js';
import { startTestNode } from '../support/node.js';
import { availableSources } from '../support/sources.js';
import { pgQuery } from '../support/sql.js';
import { waitFor } from '../support/wait.js';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROOMY = { MOBO_RATE_LIMITS__PER_IP__RPS: '100000', MOBO_RATE_LIMITS__PER_IP__BURST: '100000', MOBO_RATE_LIMITS__PER_KEY__RPS: '100000', MOBO_RATE_LIMITS__PER_KEY__BURST: '100000' };

const items = (name: string): TableInfo => ({
  name,
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: true },
    { name: 'code', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
  ],
});

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: { id: number; code: string } | null; error?: { code: string; message: string } } | null;
}

/** A node with project `shop`, one source of `kind` holding a fresh table, and two API keys. */
function harness(kind: 'postgres' | 'sqlite', env: Record<string, string> = {}) {
  const dir = tempDir('mobo-idem-');
  const table = `idem_${Math.random().toString(36).slice(2, 8)}`;
  const h = { node: undefined as unknown as MoboNode, base: '', key: '', otherKey: '', table, dir, data: undefined as unknown as DataClient };
  const ask = <T>(actor: string, type: string, payload: unknown) => h.node.system.ref(h.node.address(actor)).ask<T>(type, payload, { timeoutMs: 15_000 });
  beforeAll(async () => {
    h.node = await startTestNode({ ...ROOMY, ...env }, dir);
    await ask('catalog', 'project.create', { project: 'shop' });
    const s = availableSources(dir)[kind]!;
    await ask('catalog', 'source.add', { project: 'shop', name: 'src', kind: s.kind, url: s.url });
    h.data = new DataClient(h.node.system.ref(sourceAddress('shop', 'src')));
    await h.data.createTable(items(table));
    h.key = (await ask<{ key: string }>('auth', 'key.create', { project: 'shop', role: 'developer' })).key;
    h.otherKey = (await ask<{ key: string }>('auth', 'key.create', { project: 'shop', role: 'developer' })).key;
    h.base = `http://127.0.0.1:${(JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as { port: number }).port}`;
  });
  afterAll(async () => {
    await h.data?.dropTable(table).catch(() => undefined);
    await h.node?.stop();
  });
  return h;
}

async function send(h: ReturnType<typeof harness>, method: string, path: string, opts: { key?: string; idem?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${opts.key ?? h.key}`, 'content-type': 'application/json', ...opts.headers };
  if (opts.idem !== undefined) headers['idempotency-key'] = opts.idem;
  const res = await fetch(`${h.base}${path}`, { method, headers, ...(opts.body === undefined ? {} : { body: opts.body }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Answer['body']) : null };
}

const codesIn = async (h: ReturnType<typeof harness>): Promise<string[]> => (await h.data.select({ table: h.table })).map((r) => String(r['code'])).sort();

describe.each(['sqlite', 'postgres'] as const)('Idempotency-Key on REST writes (%s source)', (kind) => {
  const h = harness(kind);
  const rows = () => `/v1/shop/src/${h.table}`;
  let n = 0;
  const fresh = () => `key-${kind}-${++n}-ünï "q"`.replace(/[^\x21-\x7e]/g, '_');

  it('answers a retry with the first answer, marked as replayed, and writes once', async () => {
    const key = fresh();
    const first = await send(h, 'POST', rows(), { idem: key, body: JSON.stringify({ code: 'once' }) });
    const again = await send(h, 'POST', rows(), { idem: key, body: JSON.stringify({ code: 'once' }) });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body!.data).toEqual(first.body!.data);
    expect((await codesIn(h)).filter((c) => c === 'once')).toHaveLength(1);
  });

  it('runs a PostgREST upsert with a key as an upsert, and replays it without merging again', async () => {
    const pgrst = `/rest/v1/shop/src/${h.table}`;
    const prefer = { prefer: 'return=representation,resolution=merge-duplicates' };
    const id = 9_000 + n;
    const first = await send(h, 'POST', pgrst, { idem: fresh(), headers: prefer, body: JSON.stringify({ id, code: 'up-1' }) });
    expect(first.status).toBe(201);
    const key = fresh();
    const merged = await send(h, 'POST', pgrst, { idem: key, headers: prefer, body: JSON.stringify({ id, code: 'up-2' }) });
    // Not a plain insert of an existing id (409): the row is merged, as without a key.
    expect(merged.status).toBe(200);
    expect(merged.body).toEqual([{ id, code: 'up-2' }]);
    await h.data.update(h.table, { op: 'eq', column: 'id', value: id }, { code: 'changed-since' });
    const again = await send(h, 'POST', pgrst, { idem: key, headers: prefer, body: JSON.stringify({ id, code: 'up-2' }) });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual([{ id, code: 'up-2' }]);
    expect((await h.data.select({ table: h.table, where: { op: 'eq', column: 'id', value: id } })).map((r) => r['code'])).toEqual(['changed-since']);
  });

  it('replays a PostgREST insert with a key (also where the source takes the simple path)', async () => {
    const pgrst = `/rest/v1/shop/src/${h.table}`;
    const key = fresh();
    const body = JSON.stringify({ code: 'pgrst-once' });
    const first = await send(h, 'POST', pgrst, { idem: key, headers: { prefer: 'return=representation' }, body });
    const again = await send(h, 'POST', pgrst, { idem: key, headers: { prefer: 'return=representation' }, body });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await codesIn(h)).filter((c) => c === 'pgrst-once')).toHaveLength(1);
  });

  it('refuses the same key for a different request (body, path, or credentials) with 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const key = fresh();
    expect((await send(h, 'POST', rows(), { idem: key, body: JSON.stringify({ code: 'r1' }) })).status).toBe(201);
    for (const other of [
      send(h, 'POST', rows(), { idem: key, body: JSON.stringify({ code: 'r2' }) }),
      send(h, 'POST', `/rest/v1/shop/src/${h.table}`, { idem: key, body: JSON.stringify({ code: 'r1' }) }),
      send(h, 'POST', rows(), { idem: key, key: h.otherKey, body: JSON.stringify({ code: 'r1' }) }),
    ]) {
      const answer = await other;
      expect(answer.status).toBe(422);
      expect(JSON.stringify(answer.body)).toContain('IDEMPOTENCY_KEY_REUSED');
    }
    expect((await codesIn(h)).filter((c) => c.startsWith('r'))).toEqual(['r1']);
  });

  it('replays a definite error, even once the cause is gone, instead of writing', async () => {
    const [taken] = await h.data.insert(h.table, [{ code: 'taken' }], true);
    const key = fresh();
    const body = JSON.stringify({ id: taken!['id'], code: 'clash' });
    const first = await send(h, 'POST', rows(), { idem: key, body });
    expect(first.status).toBe(409);
    await h.data.delete(h.table, { op: 'eq', column: 'id', value: Number(taken!['id']) });
    const again = await send(h, 'POST', rows(), { idem: key, body });
    expect(again.status).toBe(409);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await codesIn(h)).not.toContain('clash');
  });

  it('keeps nothing for a request refused before its write, so the key can be used again', async () => {
    const key = fresh();
    const bad = await send(h, 'POST', rows(), { idem: key, body: '{"code": ' });
    expect(bad.status).toBe(400);
    const good = await send(h, 'POST', rows(), { idem: key, body: JSON.stringify({ code: 'after-bad' }) });
    expect(good.status).toBe(201);
    expect(good.headers.get('idempotent-replayed')).toBeNull();
  });

  it('replays PATCH and DELETE by id: a second DELETE answers 204, not 404', async () => {
    const [row] = await h.data.insert(h.table, [{ code: 'p0' }], true);
    const path = `${rows()}/${String(row!['id'])}`;
    const patchKey = fresh();
    expect((await send(h, 'PATCH', path, { idem: patchKey, body: JSON.stringify({ code: 'p1' }) })).status).toBe(200);
    await h.data.update(h.table, { op: 'eq', column: 'id', value: Number(row!['id']) }, { code: 'p2' });
    const replay = await send(h, 'PATCH', path, { idem: patchKey, body: JSON.stringify({ code: 'p1' }) });
    expect(replay.body!.data!.code).toBe('p1');
    expect(await codesIn(h)).toContain('p2');
    const deleteKey = fresh();
    expect((await send(h, 'DELETE', path, { idem: deleteKey })).status).toBe(204);
    const second = await send(h, 'DELETE', path, { idem: deleteKey });
    expect(second.status).toBe(204);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await send(h, 'DELETE', path, { idem: fresh() })).status).toBe(404);
  });

  it('refuses a malformed key with 400 IDEMPOTENCY_KEY_INVALID, naming the header', async () => {
    const answer = await send(h, 'POST', rows(), { idem: 'x'.repeat(256), body: JSON.stringify({ code: 'long' }) });
    expect(answer.status).toBe(400);
    expect(answer.body!.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_INVALID' });
    expect(answer.body!.error!.message).toContain('Idempotency-Key');
  });
});

describe('Idempotency-Key while the first request is still running (Postgres, a row lock held by another client)', () => {
  const h = harness('postgres');
  const other = new pg.Client({ connectionString: PG_URL });
  beforeAll(() => other.connect());
  afterAll(() => other.end());

  it('answers 409 IDEMPOTENCY_IN_PROGRESS with Retry-After, then the first answer once it is in', async () => {
    await other.query('BEGIN');
    await other.query(`INSERT INTO "${h.table}" (id, code) VALUES (900001, 'held')`);
    const body = JSON.stringify({ id: 900001, code: 'mine' });
    const first = send(h, 'POST', `/v1/shop/src/${h.table}`, { idem: 'slow-1', body });
    const during = await waitFor(async () => {
      const answer = await send(h, 'POST', `/v1/shop/src/${h.table}`, { idem: 'slow-1', body });
      return answer.status === 409 ? answer : undefined;
    }, 'the key to be claimed by the blocked request');
    expect(during.body!.error).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    expect(during.headers.get('retry-after')).toBe('1');
    await other.query('ROLLBACK');
    expect((await first).status).toBe(201);
    const after = await send(h, 'POST', `/v1/shop/src/${h.table}`, { idem: 'slow-1', body });
    expect(after.status).toBe(201);
    expect(after.headers.get('idempotent-replayed')).toBe('true');
    expect(await codesIn(h)).toEqual(['mine']);
  });
});

describe('2,000 inserts with Idempotency-Key and client retries while the connection actor is killed (Postgres)', () => {
  // Restarts back off at most 50 ms, so a kill every 150 acknowledged inserts keeps the run short.
  const h = harness('postgres', { MOBO_SUPERVISION__BACKOFF_MAX_MS: '50' });
  const TOTAL = 2_000;
  const CLIENTS = 16;
  const KILL_EVERY = 150;

  it('acknowledges every row exactly once, and answers no 500', async () => {
    const acknowledged = new Map<string, number>();
    const seen = new Map<string, number>();
    const count = (key: string): void => void seen.set(key, (seen.get(key) ?? 0) + 1);
    let kills = 0;
    let next = 0;

    const insert = async (i: number): Promise<void> => {
      const body = JSON.stringify({ code: `c${i}` });
      for (let attempt = 0; attempt < 400; attempt++) {
        const answer = await send(h, 'POST', `/v1/shop/src/${h.table}`, { idem: `chaos-${i}`, body });
        count(answer.status === 201 ? (answer.headers.get('idempotent-replayed') ? '201 replayed' : '201') : `${answer.status} ${answer.body?.error?.code}`);
        if (answer.status === 201) {
          acknowledged.set(`c${i}`, answer.body!.data!.id);
          if (acknowledged.size % KILL_EVERY === 0) {
            kills++;
            h.node.tree.killChild('shop.src', 'chaos test');
          }
          return;
        }
        expect(answer.status, JSON.stringify(answer.body)).not.toBe(500);
        expect(JSON.stringify(answer.body)).not.toMatch(/ds\.shop|stopped while|crashed handling/);
        // 503 (unavailable, restarting, or outcome unknown) and 409 (still in progress) are retried.
        expect([503, 409], JSON.stringify(answer.body)).toContain(answer.status);
        await new Promise((r) => setTimeout(r, 5 + attempt * 2)); // the client's backoff, not a synchronisation
      }
      throw new Error(`insert ${i} was never acknowledged: ${JSON.stringify([...seen])}`);
    };
    const client = async (): Promise<void> => {
      while (next < TOTAL) await insert(next++);
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));

    const stored = (await h.data.select({ table: h.table })).map((r) => ({ id: Number(r['id']), code: String(r['code']) }));
    const byCode = new Map<string, number[]>();
    for (const r of stored) byCode.set(r.code, [...(byCode.get(r.code) ?? []), r.id]);
    expect(acknowledged.size).toBe(TOTAL);
    for (const [code, id] of acknowledged) expect(byCode.get(code), code).toEqual([id]);
    expect(stored).toHaveLength(TOTAL);
    expect(kills).toBeGreaterThanOrEqual(10);
    // The kills did cut writes off: answered 503, DS_UNAVAILABLE when the statement had not reached
    // the server (waiting for a connection of the pool the kill closed), DS_OUTCOME_UNKNOWN when it had.
    const cut = (seen.get('503 DS_OUTCOME_UNKNOWN') ?? 0) + (seen.get('503 DS_UNAVAILABLE') ?? 0);
    expect(cut, JSON.stringify([...seen])).toBeGreaterThan(0);
    // A write cut off after it was sent is answered from its record on retry, never written again.
    if (seen.has('503 DS_OUTCOME_UNKNOWN')) expect(seen.get('201 replayed') ?? 0, JSON.stringify([...seen])).toBeGreaterThan(0);
  }, 120_000);
});

describe("Idempotency-Key records over time (the node's control store, an injected clock)", () => {
  const h = harness('sqlite');
  let now = 1_000_000;
  const settings = { ttlMs: 10_000, inFlightMs: 1_000 };
  const req = (key: string, body: string): HttpRequest => ({
    method: 'POST',
    path: `/v1/shop/src/${h.table}`,
    query: new URLSearchParams(),
    headers: { 'idempotency-key': key },
    body: Buffer.from(body),
    ip: '127.0.0.1',
    params: {},
    requestId: 'r',
  });
  const scope = { project: 'shop', principal: 'api_key:test' };
  const idem = () => {
    const store = controlStore(h.node);
    return new Idempotency(store, new WriteRecords(store), () => settings, () => now);
  };
  const insert = (client: DataClient) => client.insert(h.table, [{ code: 'timed' }]).then((rows) => ({ status: 201, body: rows }));
  const fail = (err: unknown): HttpResponse => ({ status: (err as MoboError).status, body: (err as MoboError).code });
  const timed = async () => (await codesIn(h)).filter((c) => c === 'timed').length;

  it('replays within the window, runs again after it, and prunes what expired', async () => {
    const first = await idem().run(req('t-1', '{}'), scope, h.data, insert, fail);
    now += settings.ttlMs - 1;
    const replay = await idem().run(req('t-1', '{}'), scope, h.data, insert, fail);
    expect(replay.headers?.[REPLAYED_HEADER]).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(await timed()).toBe(1);
    now += 2;
    const later = await idem().run(req('t-1', '{"other":"body, now allowed"}'), scope, h.data, insert, fail);
    expect(later.headers?.[REPLAYED_HEADER]).toBeUndefined();
    expect(await timed()).toBe(2);
    now += settings.ttlMs + 1;
    await idem().prune();
    expect(await controlStore(h.node).count(WRITE_RECORDS)).toBe(0);
  });

  it('answers 409 while a claim is unsettled, DS_OUTCOME_UNKNOWN once its lease is over (never a second write), and runs again only past the window', async () => {
    // The first request's answer is lost and nobody records its outcome (its node died): the claim stays pending.
    const lost = idem().run(req('t-2', '{}'), scope, h.data, () => Promise.reject(new MoboError('DS_OUTCOME_UNKNOWN')), fail);
    await expect(lost).rejects.toMatchObject({ code: 'DS_OUTCOME_UNKNOWN' });
    await expect(idem().run(req('t-2', '{}'), scope, h.data, insert, fail)).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS', details: { retryAfterSeconds: 1 } });
    now += settings.inFlightMs + 1;
    const before = await timed();
    for (let i = 0; i < 2; i++) await expect(idem().run(req('t-2', '{}'), scope, h.data, insert, fail)).rejects.toMatchObject({ code: 'DS_OUTCOME_UNKNOWN', details: { header: 'Idempotency-Key' } });
    expect(await timed()).toBe(before);
    now += settings.ttlMs;
    const taken = await idem().run(req('t-2', '{}'), scope, h.data, insert, fail);
    expect(taken.status).toBe(201);
    expect(taken.headers?.[REPLAYED_HEADER]).toBeUndefined();
    expect(await timed()).toBe(before + 1);
  });
});

describe('Idempotency-Key across a cluster (two nodes, NATS, one Postgres control store)', () => {
  const db = `mobo_idem_${randomBytes(4).toString('hex')}`;
  const dirs = [tempDir('mobo-idem-a-'), tempDir('mobo-idem-b-')];
  const table = `idem_${randomBytes(3).toString('hex')}`;
  const nodes: MoboNode[] = [];
  let key = '';
  const url = (i: number) => `http://127.0.0.1:${(JSON.parse(readFileSync(join(dirs[i]!, 'node.json'), 'utf8')) as { port: number }).port}/v1/shop/pg/${table}`;
  const post = (i: number, idem: string, body: unknown) =>
    fetch(url(i), { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': idem }, body: JSON.stringify(body) });

  beforeAll(async () => {
    await pgQuery(PG_URL, `CREATE DATABASE ${db}`);
    const controlUrl = new URL(PG_URL);
    controlUrl.pathname = `/${db}`;
    // Triggers: a source on `public` captured by logical replication would leave a durable slot
    // behind (these nodes stop without removing it); test/realtime/db-logical.test.ts covers that path.
    const shared = { ...ROOMY, MOBO_NATS_URL: NATS_URL, MOBO_DS__CHANGES: 'trigger', MOBO_CONTROL__KIND: 'postgres', MOBO_CONTROL__URL: controlUrl.toString(), MOBO_SECRETS__KEY: randomBytes(32).toString('base64') };
    for (const [i, dir] of dirs.entries()) nodes.push(await startTestNode({ ...shared, MOBO_NODE_ID: `idem-${i}-${db.slice(-8)}` }, dir));
    const a = nodes[0]!;
    const ask = <T>(actor: string, type: string, payload: unknown) => a.system.ref(a.address(actor)).ask<T>(type, payload, { timeoutMs: 15_000 });
    await ask('catalog', 'project.create', { project: 'shop' });
    await ask('catalog', 'source.add', { project: 'shop', name: 'pg', kind: 'postgres', url: PG_URL });
    await new DataClient(a.system.ref(sourceAddress('shop', 'pg'))).createTable(items(table));
    key = (await ask<{ key: string }>('auth', 'key.create', { project: 'shop', role: 'developer' })).key;
    // Node b starts its own connection actor for the source when it hears of it.
    await waitFor(async () => (await fetch(url(1), { headers: { authorization: `Bearer ${key}` } })).status === 200, 'node b to serve the source', 20_000);
  }, 60_000);
  afterAll(async () => {
    await pgQuery(PG_URL, `DROP TABLE IF EXISTS "${table}"`);
    for (const node of nodes) await node.stop();
    await pgQuery(PG_URL, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  });

  it('answers a retry on the other node with the first answer, and refuses the key for another request there', async () => {
    const first = await post(0, 'cluster-1', { code: 'both' });
    expect(first.status).toBe(201);
    const again = await post(1, 'cluster-1', { code: 'both' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toMatchObject({ data: ((await first.json()) as { data: unknown }).data });
    expect((await post(1, 'cluster-1', { code: 'else' })).status).toBe(422);
    expect((await pgQuery<{ n: number }>(PG_URL, `SELECT count(*)::int AS n FROM "${table}"`))[0]!.n).toBe(1);
  });
});
