import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import { NATS_URL } from '../support/nats.js';
import { mysqlQuery, pgQuery } from '../support/sql.js';
import { waitFor } from '../support/wait.js';
import { connectClient, disconnect, projectApp, startRealtimeNode, subscribed, type PusherClient, type TestNode } from './support.js';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

interface Change {
  op: string;
  row: { id: number; item: string } | null;
}

/**
 * Two nodes of one cluster (NATS, one control store, one secrets key) and a MariaDB source,
 * whose feed sees only the writes made through each node's own adapter.
 */
describe('MagDS sources and their changes across a cluster', () => {
  const run = randomBytes(4).toString('hex');
  const controlDb = `mobo_dbc_${run}`;
  const sourceDb = `mobo_dbc_${run}`;
  const otherDb = `mobo_dbc2_${run}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  let controlUrl: string;
  let a: TestNode;
  let b: TestNode;
  const clients: PusherClient[] = [];

  const onMysql = (sql: string) => mysqlQuery(MYSQL_URL, sql);
  const onControl = (sql: string, params: unknown[] = []) => pgQuery(controlUrl, sql, params);
  const running = (t: TestNode) => t.node.tree.names().includes('shop.my');

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${controlDb}`);
    await onMysql(`CREATE DATABASE \`${sourceDb}\``);
    await onMysql(`CREATE DATABASE \`${otherDb}\``);
    await onMysql(`CREATE TABLE \`${otherDb}\`.archive (id integer PRIMARY KEY, item text NOT NULL)`);
    const url = new URL(PG_URL);
    url.pathname = `/${controlDb}`;
    controlUrl = url.toString();
    const shared = { MOBO_NATS_URL: NATS_URL, MOBO_CONTROL__KIND: 'postgres', MOBO_CONTROL__URL: controlUrl, MOBO_SECRETS__KEY: randomBytes(32).toString('base64') };
    a = await startRealtimeNode({}, { ...shared, MOBO_NODE_ID: `dbc-a-${run}` });
    b = await startRealtimeNode({}, { ...shared, MOBO_NODE_ID: `dbc-b-${run}` });
  });

  afterAll(async () => {
    await Promise.all(clients.map(disconnect));
    await a?.node.stop();
    await b?.node.stop();
    await onMysql(`DROP DATABASE IF EXISTS \`${sourceDb}\``);
    await onMysql(`DROP DATABASE IF EXISTS \`${otherDb}\``);
    await admin.query(`DROP DATABASE IF EXISTS ${controlDb} WITH (FORCE)`);
    await admin.end();
  });

  it('starts a source added on one node on the other, and delivers each change once to subscribers on both', async () => {
    await a.admin('POST', '/v1/admin/projects', { name: 'shop' });
    await a.admin('POST', '/v1/admin/projects/shop/sources', { name: 'my', kind: 'mysql', url: MYSQL_URL, namespace: sourceDb });
    await waitFor(() => running(b), 'node b to start the source added on node a');
    await new DataClient(a.node.system.ref(sourceAddress('shop', 'my'))).createTable({
      name: 'orders',
      primaryKey: ['id'],
      columns: [
        { name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false },
        { name: 'item', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
      ],
    });
    const { key } = await a.admin<{ key: string }>('POST', '/v1/admin/projects/shop/keys', { role: 'admin' });
    const app = await projectApp(a, 'shop');
    const seen: Record<'a' | 'b', Change[]> = { a: [], b: [] };
    for (const [name, t] of [['a', a], ['b', b]] as const) {
      const client = await connectClient(t, app, key);
      clients.push(client);
      const channel = await subscribed(client, 'private-db-my.orders');
      channel.bind_global((event: string, data: Change) => void (event.startsWith('pusher') || seen[name].push(data)));
    }

    const insert = (t: TestNode, id: number) =>
      fetch(`${t.url}/v1/shop/my/orders`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ id, item: `from ${t === a ? 'a' : 'b'}` }) });
    expect((await insert(a, 1)).status).toBe(201);
    expect((await insert(b, 2)).status).toBe(201);
    const heardBoth = (changes: Change[]) => [1, 2].every((id) => changes.some((c) => c.row?.id === id));
    await waitFor(() => heardBoth(seen.a) && heardBoth(seen.b), 'both subscribers to hear both inserts');
    const rows = (changes: Change[]) => changes.map((c) => [c.op, c.row?.id, c.row?.item]);
    expect(rows(seen.a).sort()).toEqual([['INSERT', 1, 'from a'], ['INSERT', 2, 'from b']]);
    expect(rows(seen.b).sort()).toEqual([['INSERT', 1, 'from a'], ['INSERT', 2, 'from b']]);
  });

  it('restarts the source on the other node when it was removed and added again with other settings', async () => {
    const { key } = await a.admin<{ key: string }>('POST', '/v1/admin/projects/shop/keys', { role: 'admin' });
    const archive = () => fetch(`${b.url}/v1/shop/my/archive`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
    expect(await archive()).toBe(404);
    // As if node b heard of the removal only once the source was back with another database:
    // the row it finds is there, and newer than the one its connection serves.
    await onControl(`UPDATE mobo_sources SET namespace = $1, created_at = $2 WHERE id = 'shop/my'`, [otherDb, new Date().toISOString()]);
    await b.node.system.ref(b.node.address('catalog')).ask('source.sync', { project: 'shop', name: 'my' });
    await waitFor(async () => (await archive()) === 200, 'node b to serve the new database');
  });

  it('catches up on sources whose announcements it missed, when it reconciles with the control store', async () => {
    const reconcile = () => b.node.system.ref(b.node.address('catalog')).ask('sources.reconcile', null);
    // Rows written behind the catalogs' backs: no node announced them.
    await onControl(`INSERT INTO mobo_sources (id, project, name, kind, url_sealed, namespace, pool_max, created_at)
                     SELECT 'shop/copy', project, 'copy', kind, url_sealed, namespace, pool_max, created_at FROM mobo_sources WHERE id = 'shop/my'`);
    await reconcile();
    expect(b.node.tree.names()).toContain('shop.copy');
    await onControl(`DELETE FROM mobo_sources WHERE id = 'shop/copy'`);
    await reconcile();
    expect(b.node.tree.names()).not.toContain('shop.copy');
  });

  it('stops the source on the other node when it is removed', async () => {
    expect(running(b)).toBe(true);
    await a.admin('DELETE', '/v1/admin/projects/shop/sources/my');
    await waitFor(() => !running(b), 'node b to stop the source removed on node a');
    expect(running(a)).toBe(false);
  });
});
