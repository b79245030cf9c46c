import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATS_URL } from '../support/nats.js';
import { connectClient, disconnect, next, serverLib, startRealtimeNode, subscribed, type PusherClient, type RealtimeCreds, type TestNode } from './support.js';

/** Two nodes in one process, joined only by the real NATS server, serving one app. */
describe('MagWS across nodes over NATS', () => {
  const run = randomBytes(4).toString('hex');
  const app: RealtimeCreds = { project: 'demo', appId: `app-${run}`, key: `key-${run}`, secret: `secret-${run}-0123456789`, authEndpoint: '' };
  let a: TestNode;
  let b: TestNode;
  const clients: PusherClient[] = [];

  /** A client whose channel auth is signed by the `pusher` server library (as an app back end would). */
  const client = async (t: TestNode, userId = 'anon') => {
    const lib = serverLib(t, app);
    const c = await connectClient(t, app, undefined, {
      channelAuthorization: {
        endpoint: '',
        transport: 'ajax',
        customHandler: ({ socketId, channelName }, callback) =>
          callback(null, channelName.startsWith('presence-') ? lib.authorizeChannel(socketId, channelName, { user_id: userId, user_info: { name: userId } }) : lib.authorizeChannel(socketId, channelName)),
      },
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    const config = (id: string) => ({ node: { id }, realtime: { apps: [{ id: app.appId, key: app.key, secret: app.secret, project: app.project }], clientEvents: true }, cluster: { heartbeatMs: 100, suspectMs: 300, downMs: 600 } });
    a = await startRealtimeNode(config(`a${run}`), { MOBO_NATS_URL: NATS_URL });
    b = await startRealtimeNode(config(`b${run}`), { MOBO_NATS_URL: NATS_URL });
  });
  afterAll(async () => {
    await Promise.all(clients.map(disconnect));
    await a?.node.stop();
    await b?.node.stop().catch(() => undefined);
  });

  it('delivers an HTTP API publish on one node to subscribers on both, and counts subscriptions cluster-wide', async () => {
    const [ca, cb] = [await client(a), await client(b)];
    const [cha, chb] = [await subscribed(ca, 'ticker'), await subscribed(cb, 'ticker')];
    const got = Promise.all([next(cha, 'price'), next(chb, 'price')]);
    await serverLib(a, app).trigger('ticker', 'price', { v: 42 });
    expect(await got).toEqual([{ v: 42 }, { v: 42 }]);
    const info = (await (await serverLib(b, app).get({ path: '/channels/ticker', params: { info: 'subscription_count' } })).json()) as Record<string, unknown>;
    expect(info).toEqual({ occupied: true, subscription_count: 2 });
  });

  it('relays a client event from a client on one node to a client on the other', async () => {
    const [ca, cb] = [await client(a), await client(b)];
    const [cha, chb] = [await subscribed(ca, 'private-cursor'), await subscribed(cb, 'private-cursor')];
    const got = next(chb, 'client-move');
    cha.trigger('client-move', { x: 1 });
    expect(await got).toEqual({ x: 1 });
  });

  it('keeps presence consistent across nodes: joins, leaves, and a node that dies', async () => {
    const alice = await client(a, 'alice');
    const room = (await subscribed(alice, 'presence-cluster')) as Awaited<ReturnType<typeof subscribed>> & { members: { count: number } };
    expect(room.members.count).toBe(1);

    const bobAdded = next<{ id: string }>(room, 'pusher:member_added', (m) => m.id === 'bob');
    const bob = await client(b, 'bob');
    const bobRoom = (await subscribed(bob, 'presence-cluster')) as typeof room & { members: { each(f: (m: { id: string }) => void): void } };
    await bobAdded;
    const seenByBob: string[] = [];
    bobRoom.members.each((m) => seenByBob.push(m.id));
    expect(seenByBob.sort()).toEqual(['alice', 'bob']);
    const users = (await (await serverLib(a, app).get({ path: '/channels/presence-cluster/users' })).json()) as { users: Array<{ id: string }> };
    expect(users.users.map((u) => u.id).sort()).toEqual(['alice', 'bob']);

    const bobLeft = next<{ id: string }>(room, 'pusher:member_removed', (m) => m.id === 'bob');
    await disconnect(bob);
    await bobLeft;

    // Carol sits on node b; node b loses its link without a goodbye: its members expire on a.
    const carolAdded = next<{ id: string }>(room, 'pusher:member_added', (m) => m.id === 'carol');
    await subscribed(await client(b, 'carol'), 'presence-cluster');
    await carolAdded;
    const carolGone = next<{ id: string }>(room, 'pusher:member_removed', (m) => m.id === 'carol');
    await b.node.system.transport.close();
    await carolGone;
    expect(room.members.count).toBe(1);
  });
});
