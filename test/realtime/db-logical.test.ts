import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import type { CaptureStatus } from '../../adapters/index.js';
import { dropClusterBuckets } from '../support/members.js';
import { NATS_URL } from '../support/nats.js';
import { pgQuery } from '../support/sql.js';
import { waitFor } from '../support/wait.js';
import { connectClient, disconnect, projectApp, startRealtimeNode, subscribed, type PusherClient, type TestNode } from './support.js';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Change {
  op: string;
  row: { id: number; item: string } | null;
}

/**
 * Two nodes of one cluster and a Postgres source captured by logical replication: one node runs
 * the source's reader, both relay its changes from JetStream to their pusher-js subscribers,
 * rows written with psql (no trigger anywhere) reach both once; the admin API says which path
 * and which reader each node has; removing the source drops its slot and publication. A
 * third node of its own cluster, told `ds.changes: trigger`, serves the same table on triggers.
 */
describe('realtime from a Postgres source captured by logical replication', () => {
  const run = randomBytes(4).toString('hex');
  const cluster = `cdcrt_${run}`;
  const controlDb = `mobo_cdcrt_${run}`;
  const schema = `mobo_cdcrt_${run}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  let controlUrl: string;
  const nodes: TestNode[] = [];
  const clients: PusherClient[] = [];
  const onSource = (sql: string, params: unknown[] = []) => pgQuery(PG_URL, sql, params);

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${controlDb}`);
    await onSource(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".orders (id integer PRIMARY KEY, item text NOT NULL)`);
    const url = new URL(PG_URL);
    url.pathname = `/${controlDb}`;
    controlUrl = url.toString();
    const shared = { MOBO_NATS_URL: NATS_URL, MOBO_CONTROL__KIND: 'postgres', MOBO_CONTROL__URL: controlUrl, MOBO_SECRETS__KEY: randomBytes(32).toString('base64') };
    for (const id of ['a', 'b']) nodes.push(await startRealtimeNode({ transport: { cluster } }, { ...shared, MOBO_NODE_ID: `cdc-${id}-${run}` }));
  });

  afterAll(async () => {
    await Promise.all(clients.map(disconnect));
    for (const t of nodes) await t.node.stop();
    await dropClusterBuckets(cluster);
    await onSource(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.query(`DROP DATABASE IF EXISTS ${controlDb} WITH (FORCE)`);
    await admin.end();
  });

  /** The node's own source actor says how it captures; the admin status lists every capture of the process (both nodes here). */
  const capture = async (t: TestNode): Promise<CaptureStatus | undefined> => (await new DataClient(t.node.system.ref(sourceAddress('shop', 'pg'))).status().catch(() => undefined))?.changes;
  const listed = async (t: TestNode): Promise<CaptureStatus[]> => ((await t.admin<{ changes?: CaptureStatus[] }>('GET', '/v1/admin/status')).changes ?? []).filter((c) => c.key.endsWith('_shop_pg'));
  const slots = async (): Promise<string[]> => (await onSource(`SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE $1`, [`mobo_cdc_${cluster}%`])).map((r) => String(r['slot_name']));

  it('delivers each change written with psql once to subscribers on both nodes; one node reads the slot', { timeout: 90_000 }, async () => {
    const [a, b] = nodes as [TestNode, TestNode];
    await a.admin('POST', '/v1/admin/projects', { name: 'shop' });
    await a.admin('POST', '/v1/admin/projects/shop/sources', { name: 'pg', kind: 'postgres', url: PG_URL, namespace: schema });
    const { key } = await a.admin<{ key: string }>('POST', '/v1/admin/projects/shop/keys', { role: 'admin' });
    const app = await projectApp(a, 'shop');
    const seen: Change[][] = [[], []];
    for (const [i, t] of nodes.entries()) {
      const client = await connectClient(t, app, key);
      clients.push(client);
      const channel = await subscribed(client, 'private-db-pg.orders');
      channel.bind_global((event: string, data: Change) => void (event.startsWith('pusher') || seen[i]!.push(data)));
    }
    const statuses = await waitFor(async () => {
      const both = await Promise.all(nodes.map(capture));
      return both.every((s) => s?.path === 'logical' && s.role) && new Set(both.map((s) => s!.role)).size === 2 ? both : undefined;
    }, 'both nodes capture logically, one of them holding the reader', 30_000);
    expect(statuses.map((s) => s!.relay)).toEqual(['jetstream', 'jetstream']);
    expect((await listed(a)).map((s) => s.role).sort()).toEqual(['follower', 'holder']);
    expect(await slots()).toEqual([statuses[0]!.slot]);

    await onSource(`INSERT INTO "${schema}".orders VALUES (1, 'by psql')`);
    await onSource(`UPDATE "${schema}".orders SET item = 'changed' WHERE id = 1`);
    const insert = await fetch(`${b.url}/v1/shop/pg/orders`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ id: 2, item: 'by rest' }) });
    expect(insert.status).toBe(201);
    await waitFor(() => seen.every((changes) => changes.length >= 3), 'both subscribers hear all three changes', 30_000);
    for (const changes of seen) {
      expect(changes.map((c) => [c.op, c.row?.id, c.row?.item])).toEqual([
        ['INSERT', 1, 'by psql'],
        ['UPDATE', 1, 'changed'],
        ['INSERT', 2, 'by rest'],
      ]);
    }
    const triggers = await onSource(`SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1`, [schema]);
    expect(triggers).toEqual([]);
  });

  it('runs a node told ds.changes=trigger on triggers, and says so', { timeout: 90_000 }, async () => {
    const own = `cdcrt_t_${run}`;
    const shared = { MOBO_NATS_URL: NATS_URL, MOBO_SECRETS__KEY: randomBytes(32).toString('base64') };
    const t = await startRealtimeNode({ transport: { cluster: own }, ds: { changes: 'trigger' } }, { ...shared, MOBO_NODE_ID: `cdc-t-${run}` });
    let client: PusherClient | undefined;
    try {
      await t.admin('POST', '/v1/admin/projects', { name: 'shop' });
      await t.admin('POST', '/v1/admin/projects/shop/sources', { name: 'pg', kind: 'postgres', url: PG_URL, namespace: schema });
      const { key } = await t.admin<{ key: string }>('POST', '/v1/admin/projects/shop/keys', { role: 'admin' });
      client = await connectClient(t, await projectApp(t, 'shop'), key);
      const heard: Change[] = [];
      const channel = await subscribed(client, 'private-db-pg.orders');
      channel.bind_global((event: string, data: Change) => void (event.startsWith('pusher') || heard.push(data)));
      await waitFor(async () => (await capture(t))?.path === 'trigger', 'the trigger path is reported', 30_000);
      await onSource(`INSERT INTO "${schema}".orders VALUES (3, 'on triggers')`);
      await waitFor(() => heard.some((c) => c.row?.id === 3), 'the subscriber hears the insert', 30_000);
      await t.admin('DELETE', '/v1/admin/projects/shop/sources/pg');
    } finally {
      if (client) await disconnect(client);
      await t.node.stop();
      await dropClusterBuckets(own);
      await onSource(`DROP TRIGGER IF EXISTS mobo_watch ON "${schema}".orders`);
    }
  });

  it('drops the slot and the publication when the source is removed', async () => {
    const [a, b] = nodes as [TestNode, TestNode];
    // The source the first test adds, added here when that test did not run (a filtered run).
    if (!(await capture(a))) {
      await a.admin('POST', '/v1/admin/projects', { name: 'shop' }).catch(() => undefined);
      await a.admin('POST', '/v1/admin/projects/shop/sources', { name: 'pg', kind: 'postgres', url: PG_URL, namespace: schema });
    }
    const status = await waitFor(async () => ((await capture(a))?.path === 'logical' ? capture(a) : undefined), 'node a captures the source logically', 30_000);
    const slot = status!.slot!;
    await a.admin('DELETE', '/v1/admin/projects/shop/sources/pg');
    await waitFor(() => ![a, b].some((t) => t.node.tree.names().includes('shop.pg')), 'both nodes stop the source', 30_000);
    expect(await slots()).toEqual([]);
    expect(await onSource('SELECT pubname FROM pg_publication WHERE pubname = $1', [slot])).toEqual([]);
  });
});
