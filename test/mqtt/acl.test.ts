import { createServer, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closed, connect, createProject, endAll, inbox, publish, startMqttNode, subscribe, type MqttNode } from './support.js';
import { startRealtimeNode } from '../realtime/support.js';

const REFUSED = 128;

describe('MagMQTT: topics are namespaced per project, and keys scope them', () => {
  let t: MqttNode;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    t = await startMqttNode();
    await createProject(t, 'acme-a');
    await createProject(t, 'acme-b');
    keyA = (await t.key('acme-a')).key;
    keyB = (await t.key('acme-b')).key;
  });
  afterEach(endAll);
  afterAll(async () => t?.node.stop());

  it('a device of project A can subscribe to nothing outside A, whatever wildcard it uses', async () => {
    const a = await connect(t.port, { username: 'acme-a', password: keyA });
    for (const filter of ['#', '+', '+/#', '+/x/y', 'acme-b/#', 'acme-b/+', '$SYS/#', '$SYS/+/#', '$SYS/acme-b/#', '$share/g/acme-a/#', 'acme-a', 'acme-ab/#']) {
      expect(await subscribe(a, filter, 1), filter).toBe(REFUSED);
    }
    for (const filter of ['acme-a/#', 'acme-a/+', 'acme-a/+/telemetry', '$SYS/acme-a/#']) expect(await subscribe(a, filter, 1), filter).toBe(1);
  });

  it("what project B publishes never reaches A's widest subscription, and A cannot publish into B", async () => {
    const a = await connect(t.port, { username: 'acme-a', password: keyA });
    await subscribe(a, 'acme-a/#', 1);
    const box = inbox(a);
    const b = await connect(t.port, { username: 'acme-b', password: keyB });
    await subscribe(b, 'acme-b/#', 1);
    const boxB = inbox(b);
    await publish(b, 'acme-b/secret', 'for B only', { qos: 1 });
    const bGone = closed(b);
    b.publish('acme-a/spoof', 'B writing into A', { qos: 1 });
    await bGone;
    const a2 = await connect(t.port, { username: 'acme-a', password: keyA });
    const gone = closed(a2);
    a2.publish('acme-b/intrusion', 'A writing into B', { qos: 1 });
    await gone;
    await publish(a, 'acme-a/marker', 'marker', { qos: 1 });
    await box.next(1);
    expect(box.got.map((m) => m.topic)).toEqual(['acme-a/marker']);
    expect(boxB.got.map((m) => m.topic)).toEqual(['acme-b/secret']);
  });

  it('the broker-only trees (db/, dead-letter/) and $SYS cannot be written by devices', async () => {
    for (const topic of ['acme-a/db/main/orders/insert', 'acme-a/dead-letter/r_1', '$SYS/acme-a/clients', 'acme-a']) {
      const a = await connect(t.port, { username: 'acme-a', password: keyA });
      const gone = closed(a);
      a.publish(topic, 'forged', { qos: 1 });
      await gone;
    }
  });

  it('a viewer key may subscribe but not publish', async () => {
    const viewer = (await t.key('acme-a', 'viewer')).key;
    const c = await connect(t.port, { username: 'acme-a', password: viewer });
    expect(await subscribe(c, 'acme-a/#', 0)).toBe(0);
    const gone = closed(c);
    c.publish('acme-a/x', 'nope', { qos: 1 });
    await gone;
  });

  it("a custom role's grants on mqtt.topics decide publish and subscribe separately", async () => {
    await t.admin('POST', '/v1/admin/projects/acme-a/roles', { name: 'sensor-only', grants: [{ tables: ['mqtt.topics'], operations: ['create'] }] });
    await t.admin('POST', '/v1/admin/projects/acme-a/roles', { name: 'listener', grants: [{ tables: ['mqtt.topics'], operations: ['read'] }] });
    const sensor = await connect(t.port, { username: 'acme-a', password: (await t.key('acme-a', 'sensor-only')).key });
    const listener = await connect(t.port, { username: 'acme-a', password: (await t.key('acme-a', 'listener')).key });
    expect(await subscribe(sensor, 'acme-a/#', 1)).toBe(REFUSED);
    expect(await subscribe(listener, 'acme-a/readings/#', 1)).toBe(1);
    const box = inbox(listener);
    await publish(sensor, 'acme-a/readings/7', '21.5', { qos: 1 });
    expect((await box.next(1))[0]).toMatchObject({ topic: 'acme-a/readings/7', payload: '21.5' });
    const gone = closed(listener);
    listener.publish('acme-a/readings/8', 'a listener may not publish', { qos: 1 });
    await gone;
  });

  it('key scopes map to topic patterns, publish and subscribe separately', async () => {
    const scoped = (await t.key('acme-a', 'developer', { topics: { publish: ['devices/+/telemetry'], subscribe: ['commands/#'] } })).key;
    const c = await connect(t.port, { username: 'acme-a', password: scoped, clientId: 'scoped-1' });
    expect(await subscribe(c, 'acme-a/commands/#', 1)).toBe(1);
    expect(await subscribe(c, 'acme-a/commands/+/reboot', 1)).toBe(1);
    expect(await subscribe(c, 'acme-a/#', 1)).toBe(REFUSED);
    expect(await subscribe(c, 'acme-a/devices/+/telemetry', 1)).toBe(REFUSED);
    const box = inbox(c);
    const admin = await connect(t.port, { username: 'acme-a', password: keyA });
    await publish(admin, 'acme-a/commands/7', 'reboot', { qos: 1 });
    await box.next(1);
    await publish(c, 'acme-a/devices/7/telemetry', '{"t":21}', { qos: 1 });
    const gone = closed(c);
    c.publish('acme-a/devices/7/other', 'outside the pattern', { qos: 1 });
    await gone;
  });
});

describe('MagMQTT: listener errors', () => {
  it('a taken port fails the POST with MQTT_PORT_IN_USE naming mqtt.port', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const port = (holder.address() as AddressInfo).port;
    try {
      const err = await startRealtimeNode({ mqtt: { enabled: true, port, websocket: { port: null } } }).then(
        async (t) => (await t.node.stop(), undefined),
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'SUP_POST_FAILED', cause: { code: 'MQTT_PORT_IN_USE', details: { setting: 'mqtt.port', port } } });
      expect((err as Error).message).toContain(`mqtt.port ${port} on 127.0.0.1 is already in use`);
    } finally {
      holder.close();
    }
  });

  it("a port another node's broker holds fails with MQTT_PORT_IN_USE naming that node, its pid and data directory", async () => {
    const first = await startMqttNode({ mqtt: { websocket: { port: null } } });
    try {
      const err = await startRealtimeNode({ mqtt: { enabled: true, port: first.port, websocket: { port: null } } }).then(
        async (t) => (await t.node.stop(), undefined),
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ cause: { code: 'MQTT_PORT_IN_USE', details: { setting: 'mqtt.port', port: first.port, holder: { node: first.node.nodeId, pid: process.pid, dataDir: first.dir } } } });
      expect((err as Error).message).toContain(`in use by MagMoBoMini node ${first.node.nodeId} (pid ${process.pid}, data directory ${first.dir})`);
    } finally {
      await first.node.stop();
    }
    // Its broker stopped, the entry went with it: the port is free, and named as no one's.
    const again = await startRealtimeNode({ mqtt: { enabled: true, port: first.port, websocket: { port: null } } });
    await again.node.stop();
  });
});
