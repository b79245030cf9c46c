import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { onMqttPublish, type PublishFacts } from '../../actors/mqtt/index.js';
import { waitFor } from '../support/wait.js';
import { connackCode, connect, createProject, endAll, inbox, publish, startMqttNode, subscribe, type MqttNode } from './support.js';

describe('MagMQTT operations: restarts, backups, $SYS, Sentinel hooks', () => {
  let t: MqttNode;
  let key: string;
  const mqttRef = () => t.node.system.ref(t.node.address('mqtt'));
  const port = async () => (await mqttRef().ask<{ listening: { tcp: number } | null }>('mqtt.stats', null)).listening?.tcp;
  const creds = () => ({ username: 'shop', password: key });

  beforeAll(async () => {
    t = await startMqttNode({ mqtt: { sysIntervalSeconds: 1 } });
    await createProject(t, 'shop');
    key = (await t.key('shop')).key;
  });
  afterEach(endAll);
  afterAll(async () => t?.node.stop());

  it('a crash of the broker restarts it alone; devices reconnect and retained messages are still there', async () => {
    const device = await connect(t.port, creds());
    await publish(device, 'shop/config/mode', 'eco', { qos: 1, retain: true });
    await waitFor(async () => (await t.admin<unknown[]>('GET', '/v1/admin/mqtt/clients')).length > 0, 'the client listed');
    const dropped = new Promise<void>((r) => device.once('close', () => r()));
    const httpBefore = t.node.tree.statuses().find((s) => s.name === 'http');
    t.node.tree.killChild('mqtt', 'chaos');
    await dropped;
    const newPort = await waitFor(async () => (await port().catch(() => undefined)) ?? undefined, 'the broker back');
    expect(t.node.tree.statuses().find((s) => s.name === 'http')?.restarts).toBe(httpBefore?.restarts);
    const again = await connect(newPort, creds());
    const box = inbox(again);
    await subscribe(again, 'shop/config/#', 1);
    expect((await box.next(1))[0]).toMatchObject({ topic: 'shop/config/mode', payload: 'eco', retain: true });
    t.port = newPort;
  });

  it('retained messages and ingest rules are in the control store, so backups carry them', async () => {
    const device = await connect(t.port, creds());
    await publish(device, 'shop/config/colour', 'blue ✓', { qos: 1, retain: true });
    await waitFor(async () => {
      const { RETAINED_TABLE } = await import('../../actors/mqtt/retained.js');
      const { controlStore } = await import('../../actors/kernel/store-slot.js');
      return (await controlStore(t.node).select({ table: RETAINED_TABLE })).some((r) => r.topic === 'shop/config/colour');
    }, 'the retained copy written');
    const job = await t.admin<{ id: string }>('POST', '/v1/admin/backups', {});
    const done = await waitFor(async () => {
      const j = await t.admin<{ state: string; result?: { parts: Array<{ rows: Record<string, number> }> } }>('GET', `/v1/admin/backups/jobs/${job.id}`);
      return j.state === 'running' ? undefined : j;
    }, 'the backup', 30_000);
    expect(done.state).toBe('done');
    const rows = Object.assign({}, ...done.result!.parts.map((p) => p.rows)) as Record<string, number>;
    expect(rows.mobo_mqtt_retained).toBeGreaterThanOrEqual(2);
    expect(rows.mobo_mqtt_rules).toBeGreaterThanOrEqual(0);
  });

  it("publishes each project's own $SYS numbers, readable only by that project", async () => {
    const c = await connect(t.port, creds());
    const box = inbox(c);
    await subscribe(c, '$SYS/shop/#', 0);
    const [got] = await box.next(1);
    expect(got!.topic).toBe(`$SYS/shop/broker/${t.node.nodeId}/clients/connected`);
    expect(Number(got!.payload)).toBeGreaterThanOrEqual(1);
  });

  it('MagSentinel hook points: connects and auth failures on the bus, every publish to in-process hooks', async () => {
    const failed = t.node.system.events.once<{ project: string; returnCode: number }>('security.mqtt.auth_failed');
    expect(await connackCode(t.port, { username: 'shop', password: 'ak_shop_wrong' })).toBe(4);
    expect((await failed).payload).toMatchObject({ project: 'shop', returnCode: 4 });
    const seen: PublishFacts[] = [];
    const off = onMqttPublish(t.node, (f) => void seen.push(f));
    const connected = t.node.system.events.once<{ clientId: string }>('security.mqtt.connected', (e) => e.payload.clientId === 'hooked-1');
    const c = await connect(t.port, { ...creds(), clientId: 'hooked-1' });
    await connected;
    await publish(c, 'shop/hooks/x', 'payload', { qos: 1 });
    off();
    expect(seen).toEqual([expect.objectContaining({ project: 'shop', clientId: 'hooked-1', topic: 'shop/hooks/x', qos: 1, bytes: 7 })]);
  });
});
