import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import { readNodeFile } from '../../gateway/node-file.js';
import { connectClient, disconnect, next, projectApp, serverLib, startRealtimeNode, subscribed, type PusherClient, type RealtimeCreds, type TestNode } from '../realtime/support.js';
import { waitFor } from '../support/wait.js';

const ROOMY = { MOBO_RATE_LIMITS__PER_IP__RPS: '100000', MOBO_RATE_LIMITS__PER_IP__BURST: '100000', MOBO_RATE_LIMITS__PER_KEY__RPS: '100000', MOBO_RATE_LIMITS__PER_KEY__BURST: '100000' };

interface Status {
  components: Array<{ name: string; state: string; restarts: number }>;
}

/**
 * The edge's slots behind the one listener: REST, realtime, auth routes and the operator
 * API restart one at a time, and the operator channel outlives any component stopped.
 */
describe('the edge: one listener, separately supervised slots', () => {
  let t: TestNode;
  let app: RealtimeCreds;
  let key: string;
  const project = 'iso-shop';
  const table = `items_${Math.random().toString(36).slice(2, 8)}`;
  const clients: PusherClient[] = [];
  const base = () => `http://127.0.0.1:${readNodeFile(t.dir)!.port}`;
  const rest = (id: number) => fetch(`${base()}/v1/${project}/main/${table}/${id}`, { headers: { authorization: `Bearer ${key}` } });
  const status = async () => ((await adminCall('GET', '/v1/admin/status')).json.data as Status).components;
  const restarts = async (name: string) => (await status()).find((c) => c.name === name)!.restarts;
  const adminCall = async (method: string, path: string) => {
    const res = await fetch(base() + path, { method, headers: { authorization: `Bearer ${readToken()}` } });
    return { status: res.status, json: (await res.json()) as any };
  };
  let readToken: () => string;

  beforeAll(async () => {
    t = await startRealtimeNode({}, ROOMY);
    const { readAdminToken } = await import('../../gateway/admin-token.js');
    readToken = () => readAdminToken(t.dir)!;
    app = await projectApp(t, project);
    await t.admin('POST', `/v1/admin/projects/${project}/sources`, { name: 'main', kind: 'sqlite', url: `${t.dir}/iso.db` });
    const data = new DataClient(t.node.system.ref(sourceAddress(project, 'main')));
    await data.createTable({ name: table, primaryKey: ['id'], columns: [{ name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false }, { name: 'name', type: 'text', nativeType: 'text', nullable: true, hasDefault: false }] });
    await data.insert(table, Array.from({ length: 50 }, (_, i) => ({ id: i + 1, name: `n${i + 1}` })), false);
    key = (await t.admin<{ key: string }>('POST', `/v1/admin/projects/${project}/keys`, { role: 'viewer' })).key;
  });
  afterAll(async () => {
    await Promise.all(clients.map(disconnect));
    await t?.node.stop();
  });

  it('kill realtime while REST requests flow: REST answers throughout, in-flight requests complete, pusher-js reconnects', async () => {
    const client = await connectClient(t, app);
    clients.push(client);
    const channel = await subscribed(client, 'news');
    const firstSocket = client.connection.socket_id;
    const [restBefore, httpBefore, realtimeBefore] = [await restarts('rest'), await restarts('http'), await restarts('realtime')];

    let flowing = true;
    const statuses: number[] = [];
    const flow = async (offset: number) => {
      for (let i = 0; flowing; i++) {
        const res = await rest(((i + offset) % 50) + 1);
        statuses.push(res.status);
        await res.arrayBuffer();
      }
    };
    const flows = [flow(0), flow(17), flow(33)];
    await waitFor(() => statuses.length >= 10, 'REST requests flowing');

    // Requests sent, then realtime killed before any of them is answered.
    const inFlight = Array.from({ length: 20 }, (_, i) => rest(i + 1).then(async (res) => ({ status: res.status, body: (await res.json()) as any })));
    t.node.tree.killChild('realtime', 'test kill');

    await waitFor(() => client.connection.state === 'connected' && client.connection.socket_id !== firstSocket, 'pusher-js reconnected to the restarted realtime', 30_000);
    const answered = await Promise.all(inFlight);
    expect(answered.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(answered.map((a) => a.body.data.id)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const countAtReconnect = statuses.length;
    await waitFor(() => statuses.length >= countAtReconnect + 10, 'REST still flowing after the restart');
    flowing = false;
    await Promise.all(flows);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);

    // pusher-js resubscribed on its own; the restarted realtime delivers to it.
    const got = next<{ n: number }>(channel, 'after-restart');
    await waitFor(async () => {
      await serverLib(t, app).trigger('news', 'after-restart', { n: 1 });
      return true;
    }, 'trigger accepted');
    expect(await got).toEqual({ n: 1 });

    expect(await restarts('realtime')).toBe(realtimeBefore + 1);
    expect(await restarts('rest')).toBe(restBefore);
    expect(await restarts('http')).toBe(httpBefore);
  }, 60_000);

  it('a stopped component answers 503 COMPONENT_STOPPED on its routes only (in its own wire format), and starts again', async () => {
    expect((await adminCall('POST', '/v1/admin/components/rest/stop')).status).toBe(200);
    const envelope = await rest(1);
    expect(envelope.status).toBe(503);
    expect(await envelope.json()).toMatchObject({ error: { code: 'COMPONENT_STOPPED', details: { component: 'rest' } } });
    const postgrest = await fetch(`${base()}/rest/v1/${project}/main/${table}?id=eq.1`, { headers: { apikey: key } });
    expect(postgrest.status).toBe(503);
    expect(await postgrest.json()).toMatchObject({ code: 'COMPONENT_STOPPED' });
    // Other protocols carry on.
    expect((await fetch(`${base()}/.well-known/jwks.json`)).status).toBe(200);
    const client = await connectClient(t, app);
    clients.push(client);
    expect((await adminCall('POST', '/v1/admin/components/rest/start')).status).toBe(200);
    expect((await rest(1)).status).toBe(200);
  });

  it('refuses to stop what the operator channel needs, saying so, and start and shutdown keep working', async () => {
    for (const name of ['http', 'admin', 'control', 'edge', 'kernel', 'mobo']) {
      const refused = await adminCall('POST', `/v1/admin/components/${name}/stop`);
      expect(refused.status, name).toBe(409);
      expect(refused.json.error, name).toMatchObject({ code: 'COMPONENT_NOT_STOPPABLE', message: expect.stringContaining(`${name} cannot be stopped`) });
    }
    // Everything else may stop; the operator API still answers and starts it again.
    for (const name of ['auth-routes', 'realtime']) {
      expect((await adminCall('POST', `/v1/admin/components/${name}/stop`)).status, name).toBe(200);
      expect((await adminCall('GET', '/v1/admin/status')).status).toBe(200);
      expect((await adminCall('POST', `/v1/admin/components/${name}/start`)).status, name).toBe(200);
    }
    expect((await status()).every((c) => c.state === 'running')).toBe(true);
  });

  it('restarts the listener through the listener itself: routes and other slots are not remounted', async () => {
    const restBefore = await restarts('rest');
    const restarted = await adminCall('POST', '/v1/admin/components/http/restart');
    expect(restarted.json.data).toMatchObject({ name: 'http', action: 'restarted (scheduled)' });
    await waitFor(async () => (await restarts('http').catch(() => 0)) >= 1 && (await rest(2).catch(() => undefined))?.status === 200, 'the listener is back and serves REST');
    expect(await restarts('rest')).toBe(restBefore);
  });
});
