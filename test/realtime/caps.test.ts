import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectClient, disconnect, projectApp, startRealtimeNode, type PusherClient, type RealtimeCreds, type TestNode } from './support.js';

/** The first frame a raw WebSocket hears from `/app/:key`, from a chosen local address (127.0.0.x are all loopback on Linux). */
function firstFrame(t: TestNode, key: string, localAddress: string): Promise<{ event: string; data: { code?: number }; socket: WebSocket }> {
  const socket = new WebSocket(`ws://127.0.0.1:${t.port}/app/${key}?protocol=7`, { localAddress });
  return new Promise((resolve, reject) => {
    socket.once('message', (raw) => {
      const frame = JSON.parse(String(raw)) as { event: string; data: unknown };
      resolve({ event: frame.event, data: (typeof frame.data === 'string' ? JSON.parse(frame.data) : frame.data) as { code?: number }, socket });
    });
    socket.once('error', reject);
  });
}

describe('MagWS: connection caps per client address and per app', () => {
  let t: TestNode;
  let busy: RealtimeCreds;
  let quiet: RealtimeCreds;
  const clients: PusherClient[] = [];
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    t = await startRealtimeNode({ realtime: { maxConnectionsPerIp: 3, maxConnectionsPerApp: 4 } });
    busy = await projectApp(t, 'busy');
    quiet = await projectApp(t, 'quiet');
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await Promise.all(clients.map(disconnect));
    await t?.node.stop();
  });

  it('refuses a fourth socket from one address with 4100, and takes one from another address', async () => {
    for (let i = 0; i < 3; i++) clients.push(await connectClient(t, busy));
    const refused = await firstFrame(t, busy.key, '127.0.0.1');
    sockets.push(refused.socket);
    expect(refused.event).toBe('pusher:error');
    expect(refused.data).toMatchObject({ code: 4100 });
    const other = await firstFrame(t, busy.key, '127.0.0.2');
    sockets.push(other.socket);
    expect(other.event).toBe('pusher:connection_established');
  });

  it("refuses an app's socket over its per-app cap, while another project's clients still connect", async () => {
    // busy holds 4 now (3 from 127.0.0.1, 1 from 127.0.0.2): its cap.
    const over = await firstFrame(t, busy.key, '127.0.0.3');
    sockets.push(over.socket);
    expect(over.event).toBe('pusher:error');
    expect(over.data).toMatchObject({ code: 4100 });
    const otherTenant = await firstFrame(t, quiet.key, '127.0.0.3');
    sockets.push(otherTenant.socket);
    expect(otherTenant.event).toBe('pusher:connection_established');
  });

  it('gives a slot back when a socket closes', async () => {
    await disconnect(clients.pop()!);
    await expect.poll(async () => {
      const next = await firstFrame(t, busy.key, '127.0.0.1');
      sockets.push(next.socket);
      return next.event;
    }).toBe('pusher:connection_established');
  });
});
