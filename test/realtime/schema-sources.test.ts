import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer.js';
import { pgQuery } from '../support/sql.js';
import { connectClient, disconnect, next, projectApp, startRealtimeNode, subscribed, type PusherClient, type TestNode } from './support.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

/**
 * Schema-per-project sources end to end (issue 19): a source whose URL names its schema
 * (`?schema=`), straight to the server and behind PgBouncer in transaction mode (its feed on
 * `feedUrl`). Each is introspected in its schema only, serves REST reads and writes, is listed
 * in OpenAPI, and its changes reach a pusher-js client.
 */
const DIRECT = 'postgres://postgres@127.0.0.1:5432/test';
const tag = Math.random().toString(36).slice(2, 8);

interface Case {
  project: string;
  schema: string;
  url(bouncer: PgBouncer): string;
  feedUrl?: string;
}

const cases: Case[] = [
  { project: `direct-${tag}`, schema: `mobo_ss_direct_${tag}`, url: () => `${DIRECT}?schema=mobo_ss_direct_${tag}` },
  { project: `pooled-${tag}`, schema: `mobo_ss_pooled_${tag}`, url: (b) => b.url('test', `?schema=mobo_ss_pooled_${tag}`), feedUrl: DIRECT },
];

describe('a source naming its Postgres schema: REST, OpenAPI and realtime use it', () => {
  let t: TestNode;
  let bouncer: PgBouncer;
  const clients: PusherClient[] = [];

  beforeAll(async () => {
    bouncer = await startPgBouncer();
    t = await startRealtimeNode();
    for (const c of cases) {
      // The same table name in public would be seen by a source that ignored its schema.
      await pgQuery(DIRECT, `CREATE SCHEMA "${c.schema}"; CREATE TABLE "${c.schema}".items (id integer PRIMARY KEY, note text); CREATE TABLE "${c.schema}".only_here (id integer PRIMARY KEY)`);
      await t.admin('POST', '/v1/admin/projects', { name: c.project });
      await t.admin('POST', `/v1/admin/projects/${c.project}/sources`, { name: 'main', kind: 'postgres', url: c.url(bouncer), ...(c.feedUrl ? { feedUrl: c.feedUrl } : {}) });
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map(disconnect));
    await t?.node.stop();
    await bouncer?.stop();
    for (const c of cases) await pgQuery(DIRECT, `DROP SCHEMA IF EXISTS "${c.schema}" CASCADE`).catch(() => undefined);
  });

  for (const c of cases) {
    it(`${c.feedUrl ? 'behind PgBouncer (transaction mode)' : 'direct'}: introspected in its schema, REST, OpenAPI, and a change reaches pusher-js`, async () => {
      const tables = (await new DataClient(t.node.system.ref(sourceAddress(c.project, 'main'))).schema(true)).tables.map((x) => x.name).sort();
      expect(tables).toEqual(['items', 'only_here']);

      const key = (await t.admin<{ key: string }>('POST', `/v1/admin/projects/${c.project}/keys`, { role: 'admin' })).key;
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      const written = await fetch(`${t.url}/v1/${c.project}/main/items`, { method: 'POST', headers, body: JSON.stringify({ id: 1, note: "in its own schema — it's here" }) });
      expect(written.status).toBe(201);
      const read = await fetch(`${t.url}/v1/${c.project}/main/items/1`, { headers });
      expect(read.status).toBe(200);
      expect(((await read.json()) as { data: unknown }).data).toMatchObject({ id: 1, note: "in its own schema — it's here" });
      expect((await pgQuery<{ n: number }>(DIRECT, `SELECT count(*)::int AS n FROM "${c.schema}".items`))[0]!.n).toBe(1);

      const spec = (await (await fetch(`${t.url}/v1/${c.project}/openapi.json`, { headers: { apikey: key } })).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining([`/v1/${c.project}/main/items`, `/v1/${c.project}/main/only_here`]));

      const app = await projectApp(t, c.project);
      const client = await connectClient(t, app, key);
      clients.push(client);
      const channel = await subscribed(client, 'private-db-main.items');
      const arrived = next<{ row?: Record<string, unknown> }>(channel, 'INSERT', (d) => d.row?.['id'] === 2);
      // Written by another client straight into the schema: the trigger feed sees it, whoever wrote it.
      await pgQuery(DIRECT, `INSERT INTO "${c.schema}".items VALUES (2, 'from outside')`);
      expect((await arrived).row).toEqual({ id: 2, note: 'from outside' });
    });
  }
});
