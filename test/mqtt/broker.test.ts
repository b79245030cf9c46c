import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closed, connackCode, rawConnack, connect, createProject, endAll, inbox, publish, startMqttNode, subscribe, type MqttNode } from './support.js';
import { waitFor } from '../support/wait.js';

const uid = () => Math.random().toString(36).slice(2, 8);

describe('MagMQTT broker: MQTT 3.1.1 with MagAuth credentials', () => {
  let t: MqttNode;
  let key: string;
  const creds = () => ({ username: 'shop', password: key });

  beforeAll(async () => {
    t = await startMqttNode();
    await createProject(t, 'shop');
    key = (await t.key('shop')).key;
  });
  afterEach(endAll);
  afterAll(async () => t?.node.stop());

  it.each([0, 1, 2] as const)('QoS %i end to end: the subscriber gets what was published, at the granted QoS', async (qos) => {
    const topic = `shop/qos/${qos}/${uid()}`;
    const sub = await connect(t.port, creds());
    expect(await subscribe(sub, topic, qos)).toBe(qos);
    const box = inbox(sub);
    const pub = await connect(t.port, creds());
    for (const n of [1, 2, 3]) await publish(pub, topic, `m${n} ✓`, { qos });
    const got = await box.next(3);
    expect(got.map((m) => [m.payload, m.qos])).toEqual([1, 2, 3].map((n) => [`m${n} ✓`, qos]));
  });

  it('a retained message reaches a later subscriber, flagged retained; an empty retained payload clears it', async () => {
    const topic = `shop/retained/${uid()}`;
    const pub = await connect(t.port, creds());
    await publish(pub, topic, 'on', { qos: 1, retain: true });
    const late = await connect(t.port, creds());
    const box = inbox(late);
    await subscribe(late, topic, 1);
    expect((await box.next(1))[0]).toMatchObject({ payload: 'on', retain: true });
    await publish(pub, topic, '', { qos: 1, retain: true });
    const later = await connect(t.port, creds());
    const after = inbox(later);
    await subscribe(later, `shop/retained/#`, 1);
    await publish(pub, `shop/retained/marker-${uid()}`, 'marker', { qos: 1 });
    await after.next(1);
    expect(after.got.filter((m) => m.topic === topic)).toEqual([]);
  });

  it('the last will is published when a client vanishes without DISCONNECT, not after a clean one', async () => {
    const topic = `shop/status/${uid()}`;
    const watcher = await connect(t.port, creds());
    await subscribe(watcher, topic, 1);
    const box = inbox(watcher);
    const polite = await connect(t.port, { ...creds(), will: { topic, payload: Buffer.from('polite gone'), qos: 1, retain: false } });
    await new Promise<void>((r) => polite.end(false, {}, () => r()));
    const device = await connect(t.port, { ...creds(), will: { topic, payload: Buffer.from('offline'), qos: 1, retain: false } });
    (device as unknown as { stream: { destroy(): void } }).stream.destroy();
    expect((await box.next(1)).map((m) => m.payload)).toEqual(['offline']);
  });

  it('a persistent session (clean=false) keeps its subscription and queues QoS 1 messages while offline', async () => {
    const clientId = `sensor-${uid()}`;
    const topic = `shop/commands/${clientId}`;
    const first = await connect(t.port, { ...creds(), clientId, clean: false });
    await subscribe(first, topic, 1);
    await new Promise<void>((r) => first.end(false, {}, () => r()));
    const pub = await connect(t.port, creds());
    for (const n of [1, 2, 3]) await publish(pub, topic, `cmd${n}`, { qos: 1 });
    const again = mqttClientSessionPresent(t.port, { ...creds(), clientId, clean: false });
    const { client, sessionPresent } = await again;
    expect(sessionPresent).toBe(true);
    const box = inbox(client);
    expect((await box.next(3)).map((m) => m.payload)).toEqual(['cmd1', 'cmd2', 'cmd3']);
  });

  it('refuses an empty client id with CleanSession=0 (CONNACK 2) and accepts it with CleanSession=1', async () => {
    expect(await rawConnack(t.port, { username: 'shop', password: Buffer.from(key), clientId: '', clean: false })).toBe(2);
    expect(await connackCode(t.port, { ...creds(), clientId: '', clean: true })).toBe(0);
  });

  it('CONNACK 4 for missing or bad credentials, 5 for credentials of another project', async () => {
    await createProject(t, 'other');
    const otherKey = (await t.key('other')).key;
    expect(await connackCode(t.port, {})).toBe(4);
    expect(await connackCode(t.port, { username: 'shop' })).toBe(4);
    expect(await connackCode(t.port, { username: 'shop', password: 'ak_shop_notakey' })).toBe(4);
    expect(await connackCode(t.port, { username: 'shop', password: 'not.a.jwt' })).toBe(4);
    expect(await connackCode(t.port, { username: 'no-such-project', password: key })).toBe(5);
    expect(await connackCode(t.port, { username: 'shop', password: otherKey })).toBe(5);
    expect(await connackCode(t.port, { username: 'shop', password: key })).toBe(0);
  });

  it('an MQTT 5 client gets a refusal (unsupported protocol version) and a closed connection, not a hang', async () => {
    const code = await rawConnack(t.port, { username: 'shop', password: Buffer.from(key), clientId: 'v5-device', protocolVersion: 5 });
    expect(code).toBe(1);
  });

  it('serves MQTT over WebSocket on its own port, same credentials and topics', async () => {
    const topic = `shop/ws/${uid()}`;
    const browser = await connect(t.wsPort!, creds(), `ws://127.0.0.1:${t.wsPort}/mqtt`);
    await subscribe(browser, topic, 1);
    const box = inbox(browser);
    const tcp = await connect(t.port, creds());
    await publish(tcp, topic, 'over ws', { qos: 1 });
    expect((await box.next(1))[0]!.payload).toBe('over ws');
  });

  it('a JWT works as the password; disabling the user disconnects its client', async () => {
    const user = await t.admin<{ id: string }>('POST', '/v1/admin/projects/shop/users', { email: `dev-${uid()}@example.com`, password: 'correct horse battery staple', role: 'developer' });
    const token = (await t.admin<{ access_token?: string; accessToken?: string; token?: string }>('POST', '/v1/admin/projects/shop/tokens', { role: 'developer', sub: user.id }));
    const jwt = token.access_token ?? token.accessToken ?? token.token!;
    const device = await connect(t.port, { username: 'shop', password: jwt });
    const gone = closed(device);
    await t.admin('POST', `/v1/admin/projects/shop/users/${user.id}/disable`, {});
    await gone;
    expect(await connackCode(t.port, { username: 'shop', password: jwt })).toBe(5);
  });

  it('revoking an API key disconnects the clients using it', async () => {
    const { id, key: doomed } = await t.key('shop');
    const devices = await Promise.all([1, 2].map(() => connect(t.port, { username: 'shop', password: doomed })));
    const survivor = await connect(t.port, creds());
    const gone = Promise.all(devices.map(closed));
    await t.admin('DELETE', `/v1/admin/projects/shop/keys/${id}`);
    await gone;
    expect(survivor.connected).toBe(true);
    expect(await connackCode(t.port, { username: 'shop', password: doomed })).toBe(4);
  });

  it('counts connections and messages in and out by QoS in /metrics', async () => {
    const metric = async (line: RegExp) => Number((await (await fetch(`${t.url}/metrics`)).text()).match(line)?.[1] ?? NaN);
    const out = /mobo_mqtt_messages_out_total\{qos="([01])"\} (\d+)/g;
    const outByQos = async () => {
      const text = await (await fetch(`${t.url}/metrics`)).text();
      return Object.fromEntries([...text.matchAll(out)].map((m) => [m[1], Number(m[2])])) as Record<string, number>;
    };
    const before = await outByQos();
    const topic = `shop/metrics/${uid()}`;
    const c = await connect(t.port, creds());
    const listener = await connect(t.port, creds());
    await subscribe(listener, topic, 1);
    const box = inbox(listener);
    await publish(c, topic, 'at most once', { qos: 0 });
    await publish(c, topic, 'at least once', { qos: 1 });
    await box.next(2);
    expect(await metric(/mobo_mqtt_connections (\d+)/)).toBeGreaterThanOrEqual(2);
    expect(await metric(/mobo_mqtt_messages_in_total\{qos="1"\} (\d+)/)).toBeGreaterThanOrEqual(1);
    // QoS 1 counts once the subscriber's PUBACK is in: wait for it rather than for time.
    await waitFor(async () => {
      const after = await outByQos();
      return after['0']! >= (before['0'] ?? 0) + 1 && after['1']! >= (before['1'] ?? 0) + 1;
    }, 'one delivery of each QoS counted');
  });
});

import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
function mqttClientSessionPresent(port: number, opts: IClientOptions): Promise<{ client: MqttClient; sessionPresent: boolean }> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, reconnectPeriod: 0, ...opts });
  return new Promise((resolve, reject) => {
    client.once('connect', (ack) => resolve({ client, sessionPresent: ack.sessionPresent }));
    client.once('error', reject);
  });
}
