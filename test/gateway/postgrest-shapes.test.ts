import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PostgrestClient } from '@supabase/postgrest-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { readAdminToken } from '../../gateway/admin-token.js';
import { tempDir } from '../support/cli.js';
import { startTestNode } from '../support/node.js';
import { pgQuery } from '../support/sql.js';

const PG = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

// The select tree's shapes, PostgREST's relationship rules and its other media types, on a
// database of this test's own (PostGIS is created in it), through the real postgrest-js client.
describe('MagGate /rest/v1 shapes and media types', () => {
  const dir = tempDir('mobo-shapes-');
  const db = `shapes_${Math.random().toString(36).slice(2, 8)}`;
  const url = PG.replace(/\/[^/]*$/, `/${db}`);
  let node: MoboNode;
  let base: string;
  let owner: string;
  let ask: <T>(actor: string, type: string, payload: unknown) => Promise<T>;
  const client = (key: string) => new PostgrestClient(`${base}/rest/v1/maps/pg`, { headers: { Authorization: `Bearer ${key}` } });
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}/rest/v1/maps/pg/${path}`, { headers: { authorization: `Bearer ${owner}`, ...headers } });

  beforeAll(async () => {
    await pgQuery(PG, `CREATE DATABASE "${db}"`);
    await pgQuery(
      url,
      `CREATE EXTENSION postgis;
       CREATE TABLE channels (id int PRIMARY KEY, slug text);
       CREATE TABLE channel_details (id int PRIMARY KEY REFERENCES channels(id), details text);
       CREATE TABLE messages (id int PRIMARY KEY, channel_id int REFERENCES channels(id), body text);
       CREATE TABLE folders (id int PRIMARY KEY, parent_id int REFERENCES folders(id), name text);
       CREATE TABLE friends (id int PRIMARY KEY, first int REFERENCES channels(id), second int REFERENCES channels(id));
       CREATE TABLE shops (id int PRIMARY KEY, address text, geom geometry(POINT, 4326));
       INSERT INTO channels VALUES (1, 'public'), (2, 'random'), (3, 'empty');
       INSERT INTO channel_details VALUES (1, 'the public one'), (2, 'a random one');
       INSERT INTO messages VALUES (10, 1, 'hi'), (11, 1, 'there'), (12, 2, 'yo');
       INSERT INTO folders VALUES (1, NULL, 'root'), (2, 1, 'a'), (3, 1, 'b');
       CREATE VIEW channel_names AS SELECT id AS channel, slug AS name, 1 AS one FROM channels;
       INSERT INTO shops VALUES (1, '1 Main St, "corner"', ST_SetSRID(ST_MakePoint(-71.1, 42.37), 4326));`,
    );
    const roomy = { MOBO_RATE_LIMITS__PER_IP__RPS: '10000', MOBO_RATE_LIMITS__PER_IP__BURST: '10000', MOBO_RATE_LIMITS__PER_KEY__RPS: '10000', MOBO_RATE_LIMITS__PER_KEY__BURST: '10000' };
    node = await startTestNode(roomy, dir);
    ask = <T>(actor: string, type: string, payload: unknown) => node.system.ref(node.address(actor)).ask<T>(type, payload, { timeoutMs: 15_000 });
    await ask('catalog', 'project.create', { project: 'maps' });
    await ask('catalog', 'source.add', { project: 'maps', name: 'pg', kind: 'postgres', url });
    owner = (await ask<{ key: string }>('auth', 'key.create', { project: 'maps', role: 'owner' })).key;
    base = `http://127.0.0.1:${(JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as { port: number }).port}`;
  });
  afterAll(async () => {
    await node?.stop();
    await pgQuery(PG, `DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
  });

  it('spreads to-one (its keys null when there is no row) and to-many (one array per key) resources', async () => {
    const c = client(owner);
    const one = await c.from('channels').select('id, ...channel_details(details)').order('id');
    expect(one.data).toEqual([
      { id: 1, details: 'the public one' },
      { id: 2, details: 'a random one' },
      { id: 3, details: null },
    ]);
    const many = await c.from('channels').select('id, ...messages(mid:id, body)').order('id').order('id', { referencedTable: 'messages' });
    expect(many.data).toEqual([
      { id: 1, mid: [10, 11], body: ['hi', 'there'] },
      { id: 2, mid: [12], body: ['yo'] },
      { id: 3, mid: [], body: [] },
    ]);
    const inner = await c.from('channels').select('id, ...messages!inner(body)').eq('messages.body', 'yo');
    expect(inner.data).toEqual([{ id: 2, body: ['yo'] }]);
  });

  it('counts in embeds, groups aggregates by embedded values, and shows nothing of an embed of no columns', async () => {
    const c = client(owner);
    expect((await c.from('channels').select('id, messages(count)').order('id')).data).toEqual([
      { id: 1, messages: [{ count: 2 }] },
      { id: 2, messages: [{ count: 1 }] },
      { id: 3, messages: [{ count: 0 }] },
    ]);
    const grouped = await c.from('messages').select('id, channels(count(), ...channel_details(details))').order('id');
    expect(grouped.data).toEqual([
      { id: 10, channels: { count: 1, details: 'the public one' } },
      { id: 11, channels: { count: 1, details: 'the public one' } },
      { id: 12, channels: { count: 1, details: 'a random one' } },
    ]);
    const filtering = await c.from('messages').select('id, channels!inner()').eq('channels.slug', 'random');
    expect(filtering.data).toEqual([{ id: 12 }]);
    const missing = await c.from('channels').select('id, messages(sum())');
    expect(missing.error).toMatchObject({ code: '42703', message: 'column messages_1.sum does not exist' });
  });

  it('follows PostgREST’s relationship rules: a self-reference by table name is its children, by column its parent; PGRST201 lists what it found', async () => {
    const c = client(owner);
    expect((await c.from('folders').select('name, folders(name)').eq('id', 1).order('id', { referencedTable: 'folders' })).data).toEqual([{ name: 'root', folders: [{ name: 'a' }, { name: 'b' }] }]);
    expect((await c.from('folders').select('name, parent_id(name)').eq('id', 2)).data).toEqual([{ name: 'a', parent_id: { name: 'root' } }]);
    // A view of channels carries their keys: embedded by its name; by the key's column it stays the table.
    expect((await c.from('messages').select('id, channel_names(name)').eq('id', 12)).data).toEqual([{ id: 12, channel_names: { name: 'random' } }]);
    expect((await c.from('messages').select('id, channel_id(slug)').eq('id', 12)).data).toEqual([{ id: 12, channel_id: { slug: 'random' } }]);
    const ambiguous = await c.from('channels').select('friends(*)');
    expect(ambiguous.status).toBe(300);
    expect(ambiguous.error?.details).toEqual([
      { cardinality: 'one-to-many', embedding: 'channels with friends', relationship: 'friends_first_fkey using channels(id) and friends(first)' },
      { cardinality: 'one-to-many', embedding: 'channels with friends', relationship: 'friends_second_fkey using channels(id) and friends(second)' },
    ]);
  });

  it('writes text/csv in the table’s column order with Postgres’s quoting, GeoJSON for PostGIS rows, and plans for callers no rule narrows', async () => {
    const csv = await client(owner).from('shops').select('id, address').csv();
    expect(csv.data).toBe('id,address\n1,"1 Main St, ""corner"""');
    const geo = await get('shops?select=id,address,geom', { accept: 'application/geo+json' });
    expect(geo.headers.get('content-type')).toContain('application/geo+json');
    expect(await geo.json()).toEqual({
      type: 'FeatureCollection',
      features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [-71.1, 42.37] }, properties: { id: 1, address: '1 Main St, "corner"' } }],
    });
    const plan = await client(owner).from('channels').select().explain({ format: 'json' });
    expect((plan.data as unknown as Array<{ Plan: { 'Node Type': string } }>)[0]!.Plan['Node Type']).toBe('Aggregate');
    expect(await client(owner).from('channels').select().explain()).toMatchObject({ status: 200, data: expect.stringMatching(/^Aggregate/) });
    await ask('auth', 'rule.set', { project: 'maps', rule: { source: 'pg', table: 'channels', column: 'slug' } });
    try {
      const { access_token: token } = await ask<{ access_token: string }>('auth', 'token.issue', { project: 'maps', role: 'viewer', sub: 'public' });
      expect((await client(token).from('channels').select().explain()).status).toBe(403);
    } finally {
      await ask('auth', 'rule.delete', { project: 'maps', source: 'pg', table: 'channels' });
    }
  });

  it('gives planned and estimated counts from the planner, and serves the admin OpenAPI document bare', async () => {
    const planned = await client(owner).from('messages').select('*', { head: true, count: 'planned' });
    expect(planned.error).toBeNull();
    expect(typeof planned.count).toBe('number');
    const estimated = await client(owner).from('messages').select('id', { count: 'estimated' });
    // Never below the exact count: the larger of it and the planner's estimate.
    expect(estimated.count).toBeGreaterThanOrEqual(3);
    const spec = await fetch(`${base}/v1/openapi.json`, { headers: { authorization: `Bearer ${readAdminToken(dir)}` } });
    expect(spec.status).toBe(200);
    const doc = (await spec.json()) as { openapi?: string; data?: unknown };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.data).toBeUndefined();
  });
});
