import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, disconnect, issueToken, next, projectApp, serverLib, startRealtimeNode, subscribed, type RealtimeCreds, type PusherClient, type TestNode } from './support.js';

describe('MagWS: the Pusher protocol with pusher-js and the pusher server library', () => {
  let t: TestNode;
  let app: RealtimeCreds;
  let other: RealtimeCreds;
  const clients: PusherClient[] = [];
  const client = async (credential?: string) => {
    const c = await connectClient(t, app, credential);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await startRealtimeNode({ realtime: { clientEvents: true } });
    app = await projectApp(t, 'chat');
    other = await projectApp(t, 'elsewhere');
  });
  afterAll(async () => {
    await Promise.all(clients.map(disconnect));
    await t?.node.stop();
  });

  it('connects with a Pusher socket id, subscribes to a public channel and receives an HTTP API publish', async () => {
    const c = await client();
    expect(c.connection.socket_id).toMatch(/^\d+\.\d+$/);
    const channel = await subscribed(c, 'news');
    const got = next<{ text: string }>(channel, 'breaking');
    await serverLib(t, app).trigger('news', 'breaking', { text: 'hello' });
    expect(await got).toEqual({ text: 'hello' });
  });

  it('publishes batches and to several channels, and leaves out the socket_id given', async () => {
    const [a, b] = [await client(), await client()];
    const [a1, b1, a2] = [await subscribed(a, 'room-1'), await subscribed(b, 'room-1'), await subscribed(a, 'room-2')];
    const lib = serverLib(t, app);
    const batch = Promise.all([next(a1, 'one'), next(a2, 'two')]);
    await lib.triggerBatch([
      { channel: 'room-1', name: 'one', data: { n: 1 } },
      { channel: 'room-2', name: 'two', data: { n: 2 } },
    ]);
    expect(await batch).toEqual([{ n: 1 }, { n: 2 }]);

    // socket_id excludes a: only b hears "skip"; then both hear "all", so a's silence is proven by order.
    const seenByA: string[] = [];
    a1.bind_global((event: string) => void (event.startsWith('pusher') || seenByA.push(event)));
    const [bSkip, bAll, aAll] = [next(b1, 'skip'), next(b1, 'all'), next(a1, 'all')];
    await lib.trigger(['room-1'], 'skip', {}, { socket_id: a.connection.socket_id });
    await lib.trigger(['room-1', 'room-2'], 'all', {});
    await Promise.all([bSkip, bAll, aAll]);
    expect(seenByA).toEqual(['all']);
  });

  it('answers channel information through the HTTP API', async () => {
    const c = await client();
    await subscribed(c, 'info-room');
    const lib = serverLib(t, app);
    const one = (await (await lib.get({ path: '/channels/info-room', params: { info: 'subscription_count' } })).json()) as Record<string, unknown>;
    expect(one).toEqual({ occupied: true, subscription_count: 1 });
    const all = (await (await lib.get({ path: '/channels', params: { filter_by_prefix: 'info-' } })).json()) as { channels: Record<string, unknown> };
    expect(all.channels).toEqual({ 'info-room': {} });
    const empty = (await (await lib.get({ path: '/channels/nobody-here' })).json()) as Record<string, unknown>;
    expect(empty).toEqual({ occupied: false });
  });

  it('refuses HTTP API requests with a wrong secret, and an unknown app', async () => {
    await expect(serverLib(t, { ...app, secret: 'x'.repeat(64) }).trigger('news', 'x', {})).rejects.toMatchObject({ status: 401 });
    await expect(serverLib(t, { ...app, appId: 'nope' }).trigger('news', 'x', {})).rejects.toMatchObject({ status: 404 });
  });

  it('authorizes private channels with MagAuth credentials, and refuses bad, absent or foreign ones', async () => {
    const token = await issueToken(t, 'chat', 'alice');
    const ok = await client(token);
    await expect(subscribed(ok, 'private-orders')).resolves.toBeDefined();

    const absent = await client();
    await expect(subscribed(absent, 'private-orders')).rejects.toMatchObject({ detail: { type: 'AuthError', status: 401 } });
    const bad = await client('not-a-token.at.all');
    await expect(subscribed(bad, 'private-orders')).rejects.toMatchObject({ detail: { status: 401 } });
    const foreign = await client(await issueToken(t, 'elsewhere', 'mallory'));
    await expect(subscribed(foreign, 'private-orders')).rejects.toMatchObject({ detail: { status: 403 } });
    expect(other.key).not.toBe(app.key);
  });

  it('refuses a forged subscription signature with pusher:subscription_error', async () => {
    const c = await client();
    const channel = c.subscribe('private-forged');
    // Bypass the auth endpoint: sign with a guessed secret.
    const refused = new Promise((resolve) => channel.bind('pusher:subscription_error', resolve));
    (c as unknown as { send_event(e: string, d: unknown): void }).send_event('pusher:subscribe', { channel: 'private-forged', auth: `${app.key}:${'0'.repeat(64)}` });
    expect(await refused).toMatchObject({ type: 'AuthError', status: 401 });
  });

  it('relays client events on private channels to the others, not back to the sender', async () => {
    const token = await issueToken(t, 'chat', 'bob');
    const [a, b] = [await client(token), await client(token)];
    const [ca, cb] = [await subscribed(a, 'private-typing'), await subscribed(b, 'private-typing')];
    const heardByA: string[] = [];
    ca.bind_global((event: string) => void heardByA.push(event));
    const got = next(cb, 'client-typing');
    expect(ca.trigger('client-typing', { who: 'a' })).toBe(true);
    expect(await got).toEqual({ who: 'a' });
    const back = next(ca, 'client-typing');
    cb.trigger('client-typing', { who: 'b' });
    expect(await back).toEqual({ who: 'b' });
    expect(heardByA.filter((e) => e === 'client-typing')).toHaveLength(1);
  });

  it('tracks presence: members on subscribe, member_added and member_removed seen by another client', async () => {
    const [alice, bob] = [await client(await issueToken(t, 'chat', 'alice')), await client(await issueToken(t, 'chat', 'bob'))];
    const room = (await subscribed(alice, 'presence-lobby')) as unknown as { members: { count: number; me: { id: string } } } & Parameters<typeof next>[0];
    expect(room.members.count).toBe(1);
    expect(room.members.me.id).toBe('alice');
    const added = next<{ id: string; info: unknown }>(room, 'pusher:member_added');
    const bobRoom = (await subscribed(bob, 'presence-lobby')) as unknown as { members: { count: number } };
    expect(await added).toMatchObject({ id: 'bob', info: { kind: 'user', role: 'viewer' } });
    expect(bobRoom.members.count).toBe(2);
    const users = (await (await serverLib(t, app).get({ path: '/channels/presence-lobby/users' })).json()) as { users: Array<{ id: string }> };
    expect(users.users.map((u) => u.id).sort()).toEqual(['alice', 'bob']);
    const removed = next<{ id: string }>(room, 'pusher:member_removed');
    await disconnect(bob);
    expect(await removed).toMatchObject({ id: 'bob' });
  });

  it('answers pusher:ping with pusher:pong', async () => {
    const c = await client();
    const pong = new Promise<void>((resolve) => c.connection.bind('message', (m: { event: string }) => m.event === 'pusher:pong' && resolve()));
    (c as unknown as { send_event(e: string, d: unknown): void }).send_event('pusher:ping', {});
    await pong;
  });
});
