import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAdminToken } from '../../gateway/admin-token.js';
import { NATS_URL } from '../support/nats.js';
import { waitFor } from '../support/wait.js';
import { connectClient, disconnect, projectApp, startRealtimeNode, subscribed, type PusherClient, type RealtimeCreds, type TestNode } from './support.js';

interface ClientRow {
  socketId: string;
  node: string;
  channels: string[];
  connectedAt: string;
  remoteAddress: string | null;
}

const socketId = (c: PusherClient): string => (c.connection as unknown as { socket_id: string }).socket_id;
const clientsOf = (t: TestNode, project: string, query = '') => t.admin<ClientRow[]>('GET', `/v1/admin/projects/${project}/realtime/clients${query}`);

/** `GET /v1/admin/projects/:project/realtime/clients`: the Pusher sockets of a project's app, real pusher-js clients. */
describe('the realtime clients admin route', () => {
  let t: TestNode;
  let app: RealtimeCreds;
  const clients: PusherClient[] = [];

  beforeAll(async () => {
    t = await startRealtimeNode();
    app = await projectApp(t, 'rt-clients');
    await projectApp(t, 'other-project');
  });
  afterAll(async () => {
    await Promise.all(clients.map(disconnect));
    await t?.node.stop();
  });

  it('lists each socket with its channels, connected since and remote address, filters by channel, and forgets a closed socket', async () => {
    const before = Date.now();
    const [one, two] = [await connectClient(t, app), await connectClient(t, app)];
    clients.push(one, two);
    await subscribed(one, 'orders_1-a=b@c,d.e;f');
    await subscribed(one, 'news');
    await subscribed(two, 'news');

    const all = await clientsOf(t, 'rt-clients');
    expect(all.map((c) => c.socketId).sort()).toEqual([socketId(one), socketId(two)].sort());
    const first = all.find((c) => c.socketId === socketId(one))!;
    expect(first.channels.sort()).toEqual(['news', 'orders_1-a=b@c,d.e;f'].sort());
    expect(first.remoteAddress).toBe('127.0.0.1');
    expect(first.node).toBe(t.node.nodeId);
    expect(Date.parse(first.connectedAt)).toBeGreaterThanOrEqual(before - 1_000);

    expect((await clientsOf(t, 'rt-clients', `?channel=${encodeURIComponent('orders_1-a=b@c,d.e;f')}`)).map((c) => c.socketId)).toEqual([socketId(one)]);
    expect(await clientsOf(t, 'rt-clients', '?channel=nobody-here')).toEqual([]);
    expect(await clientsOf(t, 'other-project')).toEqual([]);

    await disconnect(two);
    await waitFor(async () => (await clientsOf(t, 'rt-clients')).length === 1, 'the closed socket gone from the list');
  });

  it('refuses a malformed channel with WS_CHANNEL_INVALID and a caller without the admin token', async () => {
    const bad = await fetch(`${t.url}/v1/admin/projects/rt-clients/realtime/clients?channel=${encodeURIComponent('no spaces allowed')}`, { headers: { authorization: `Bearer ${readAdminToken(t.dir)!}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('WS_CHANNEL_INVALID');
    const anonymous = await fetch(`${t.url}/v1/admin/projects/rt-clients/realtime/clients`);
    expect(anonymous.status).toBe(401);
  });
});

/** Two nodes in one process joined by the real NATS server: each node's list has the other's sockets. */
describe('the realtime clients admin route across nodes', () => {
  const run = randomBytes(4).toString('hex');
  const app: RealtimeCreds = { project: 'demo', appId: `app-${run}`, key: `key-${run}`, secret: `secret-${run}-0123456789`, authEndpoint: '' };
  let a: TestNode;
  let b: TestNode;
  const clients: PusherClient[] = [];

  beforeAll(async () => {
    const config = (id: string) => ({ node: { id }, realtime: { apps: [{ id: app.appId, key: app.key, secret: app.secret, project: app.project }] }, cluster: { heartbeatMs: 100, suspectMs: 300, downMs: 600 } });
    a = await startRealtimeNode(config(`a${run}`), { MOBO_NATS_URL: NATS_URL });
    b = await startRealtimeNode(config(`b${run}`), { MOBO_NATS_URL: NATS_URL });
  });
  afterAll(async () => {
    await Promise.all(clients.map(disconnect));
    await a?.node.stop();
    await b?.node.stop();
  });

  it('answers the sockets of every node, each with its node', async () => {
    const [ca, cb] = [await connectClient(a, app), await connectClient(b, app)];
    clients.push(ca, cb);
    await subscribed(ca, 'ticker');
    await subscribed(cb, 'ticker');
    const want = { [socketId(ca)]: a.node.nodeId, [socketId(cb)]: b.node.nodeId };
    // b's hub is known to a once a message of it was heard: until then a answers for itself.
    const rows = await waitFor(async () => {
      const r = await clientsOf(a, 'demo');
      return r.length === 2 ? r : undefined;
    }, 'both nodes answering', 20_000);
    expect(Object.fromEntries(rows.map((r) => [r.socketId, r.node]))).toEqual(want);
    expect(rows.every((r) => r.channels.includes('ticker'))).toBe(true);
  });
});
