import Echo from 'laravel-echo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, disconnect, issueToken, projectApp, serverLib, startRealtimeNode, type PusherClient, type RealtimeCreds, type TestNode } from './support.js';

interface PusherError {
  type?: string;
  data?: { code?: number; message?: string };
}

/** The first `pusher:error` pusher-js reports (it may wrap it in a WebSocketError). */
function firstError(client: PusherClient): Promise<PusherError> {
  return new Promise((resolve) => client.connection.bind('error', (e: PusherError & { error?: PusherError }) => resolve(e.error ?? e)));
}

describe('MagWS: refusals, limits, and Laravel Echo', () => {
  let t: TestNode;
  let app: RealtimeCreds;
  const clients: PusherClient[] = [];
  const track = (c: PusherClient) => (clients.push(c), c);

  beforeAll(async () => {
    t = await startRealtimeNode({ realtime: { maxConnections: 3, messagesPerSecond: 1, messageBurst: 5 } });
    app = await projectApp(t, 'limits');
  });
  afterAll(async () => {
    await Promise.all(clients.map(disconnect));
    await t?.node.stop();
  });

  it('refuses an unknown app key with pusher:error 4001', async () => {
    const c = track(await connectClient(t, app).then(async (ok) => (await disconnect(ok), ok)));
    expect(c.connection.state).toBe('disconnected');
    const { default: PusherJs } = (await import('pusher-js')) as unknown as { default: new (key: string, o: object) => PusherClient };
    const stranger = track(new PusherJs('pk_unknown', { cluster: 'local', wsHost: '127.0.0.1', wsPort: t.port, forceTLS: false, enabledTransports: ['ws'], disableStats: true }));
    expect(await firstError(stranger)).toMatchObject({ type: 'PusherError', data: { code: 4001 } });
    stranger.disconnect();
  });

  it('rate limits one connection with pusher:error 4301, and keeps it open', async () => {
    const c = track(await connectClient(t, app));
    const limited = firstError(c);
    for (let i = 0; i < 10; i++) (c as unknown as { send_event(e: string, d: unknown): void }).send_event('pusher:ping', {});
    expect(await limited).toMatchObject({ data: { code: 4301 } });
    expect(c.connection.state).toBe('connected');
  });

  it('refuses connections over the node limit with 4100', async () => {
    const held = [track(await connectClient(t, app)), track(await connectClient(t, app))];
    expect(held.every((c) => c.connection.state === 'connected')).toBe(true);
    const { default: PusherJs } = (await import('pusher-js')) as unknown as { default: new (key: string, o: object) => PusherClient };
    const extra = track(new PusherJs(app.key, { cluster: 'local', wsHost: '127.0.0.1', wsPort: t.port, forceTLS: false, enabledTransports: ['ws'], disableStats: true }));
    expect(await firstError(extra)).toMatchObject({ type: 'PusherError', data: { code: 4100 } });
    extra.disconnect();
    await Promise.all(held.map(disconnect));
  });

  it('works with Laravel Echo on a private channel authorized by MagAuth', async () => {
    const token = await issueToken(t, 'limits', 'erin');
    const client = track(await connectClient(t, app, token));
    const echo = new Echo({ broadcaster: 'pusher', key: app.key, client } as never);
    const channel = echo.private('orders');
    const shipped = new Promise<unknown>((resolve) => channel.listen('.OrderShipped', resolve));
    await new Promise<void>((resolve) => channel.subscribed(() => resolve()));
    await serverLib(t, app).trigger('private-orders', 'OrderShipped', { id: 9 });
    expect(await shipped).toEqual({ id: 9 });
    echo.disconnect();
  });
});
