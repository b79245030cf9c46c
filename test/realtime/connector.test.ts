import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import type { HealthReport } from '../../runtime/lifecycle.js';
import { waitFor } from '../support/wait.js';
import { connectClient, disconnect, issueToken, next, projectApp, serverLib, startRealtimeNode, subscribed, type PusherClient, type RealtimeCreds, type TestNode } from './support.js';

/** Node `hub` serves the Pusher protocol and plays the external Soketi; node `edge` runs in connector mode and publishes to it. */
describe('MagWS connector mode: publishing to an external Pusher-compatible server', () => {
  let hub: TestNode;
  let edge: TestNode;
  let external: RealtimeCreds;
  const clients: PusherClient[] = [];
  const connector = () => edge.node.system.ref(edge.node.address('realtime-connector'));

  beforeAll(async () => {
    hub = await startRealtimeNode();
    external = await projectApp(hub, 'remote');
    edge = await startRealtimeNode({
      realtime: {
        mode: 'connector',
        apps: [{ id: external.appId, key: external.key, secret: external.secret, project: 'shop' }],
        connector: { url: hub.url, retries: 2, backoffMs: 5, timeoutMs: 2_000 },
      },
    });
    await edge.admin('POST', '/v1/admin/projects', { name: 'shop' });
    await edge.admin('POST', '/v1/admin/projects/shop/sources', { name: 'main', kind: 'sqlite', url: join(edge.dir, 'shop.db') });
    await waitFor(() => edge.node.tree.names().includes('realtime-connector'), 'the connector to join the edge group');
  });
  afterAll(async () => {
    await Promise.all(clients.map(disconnect));
    await edge?.node.stop();
    await hub?.node.stop().catch(() => undefined);
  });

  it('relays HTTP API publishes made to this node (with the pusher library) to the external server', async () => {
    const c = await connectClient(hub, external);
    clients.push(c);
    const channel = await subscribed(c, 'alerts');
    const got = next(channel, 'fire');
    await serverLib(edge, { ...external, project: 'shop' }).trigger('alerts', 'fire', { level: 3 });
    expect(await got).toEqual({ level: 3 });
    expect(await connector().ask<HealthReport>('sys.health')).toMatchObject({ status: 'ok' });
  });

  it('authorizes with MagAuth here for channels served there, and forwards table changes', async () => {
    await new DataClient(edge.node.system.ref(sourceAddress('shop', 'main'))).createTable({
      name: 'events',
      primaryKey: ['id'],
      columns: [{ name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false }],
    });
    const token = await issueToken(edge, 'shop', 'dana');
    const c = await connectClient(hub, { ...external, authEndpoint: '/v1/realtime/shop/auth' }, token, {
      channelAuthorization: { endpoint: `${edge.url}/v1/realtime/shop/auth`, transport: 'ajax', headers: { authorization: `Bearer ${token}` } },
    });
    clients.push(c);
    const channel = await subscribed(c, 'private-db-main.events');
    const got = next<{ op: string; row: { id: number } }>(channel, 'INSERT');
    await new DataClient(edge.node.system.ref(sourceAddress('shop', 'main'))).insert('events', [{ id: 7 }], false);
    expect(await got).toMatchObject({ op: 'INSERT', row: { id: 7 } });
  });

  it('reports degraded, and answers 503 after bounded retries, when the external server is unreachable', async () => {
    const lonely = await startRealtimeNode({
      realtime: { mode: 'connector', apps: [{ id: external.appId, key: external.key, secret: external.secret, project: 'shop' }], connector: { url: `http://127.0.0.1:${await closedPort()}`, retries: 2, backoffMs: 5 } },
    });
    try {
      await waitFor(() => lonely.node.tree.names().includes('realtime-connector'), 'the connector to join the edge group');
      await expect(serverLib(lonely, { ...external, project: 'shop' }).trigger('alerts', 'fire', {})).rejects.toMatchObject({ status: 503 });
      const health = await lonely.node.system.ref(lonely.node.address('realtime-connector')).ask<HealthReport>('sys.health');
      expect(health).toMatchObject({ status: 'degraded', details: { lastError: expect.stringContaining('WS_CONNECTOR_UNAVAILABLE') } });
    } finally {
      await lonely.node.stop();
    }
  });
});

/** A port nobody listens on: bound by us, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
