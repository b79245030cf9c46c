import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { connect, createProject, endAll, inbox, publish, startMqttNode, subscribe, type MqttNode } from './support.js';

const REDIS_URL = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

/**
 * A pass-through TCP proxy in front of the real Redis: while `held`, what the broker sends to
 * Redis waits in the proxy (its replies still flow), so the test can see what the broker does
 * before its Redis writes have happened.
 */
function redisProxy() {
  const pending: Array<{ upstream: Socket; chunk: Buffer }> = [];
  let seen = '';
  let held = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(Number(REDIS_URL.port || 6379), REDIS_URL.hostname);
    sockets.add(client).add(upstream);
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('data', (chunk) => {
      if (!held) return void upstream.write(chunk);
      pending.push({ upstream, chunk });
      seen += chunk.toString('latin1');
    });
    const end = () => (client.destroy(), upstream.destroy());
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  return {
    listen: () => new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port))),
    hold: () => ((held = true), (seen = '')),
    seen: () => seen,
    release: () => {
      held = false;
      for (const { upstream, chunk } of pending.splice(0)) upstream.write(chunk);
    },
    close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

/** README "Cluster": with a shared store, a QoS 1 PUBACK means the message is queued there for the persistent sessions. */
describe('MagMQTT: a QoS 1 PUBACK waits for the shared store', () => {
  const run = randomBytes(4).toString('hex');
  const prefix = `mobotest:mqttack:${run}:`;
  const proxy = redisProxy();
  let t: MqttNode;
  let key: string;

  beforeAll(async () => {
    const port = await proxy.listen();
    t = await startMqttNode({ mqtt: { persistence: { kind: 'redis', url: `redis://127.0.0.1:${port}`, prefix } } });
    await createProject(t, 'fleet-ack');
    key = (await t.key('fleet-ack')).key;
  });
  afterEach(async () => {
    proxy.release();
    await endAll();
  });
  afterAll(async () => {
    await t?.node.stop();
    await proxy.close();
    const redis = new Redis(REDIS_URL.toString());
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const creds = () => ({ username: 'fleet-ack', password: key });

  it('no PUBACK before the message is queued for an offline persistent session, and the session gets it once', async () => {
    const clientId = `sensor-ü-"q"-${run}`;
    const topic = `fleet-ack/commands/${run}`;
    const offline = await connect(t.port, { ...creds(), clientId, clean: false });
    expect(await subscribe(offline, topic, 1)).toBe(1);
    await new Promise<void>((r) => offline.end(false, {}, () => r()));
    const sender = await connect(t.port, creds());

    proxy.hold();
    let acked = false;
    const sent = publish(sender, topic, 'kept', { qos: 1 }).then(() => void (acked = true));
    // The broker's queueing has reached the proxy (and waits there)…
    await waitFor(() => /mset/i.test(proxy.seen()), 'the broker writing the message to Redis');
    // …and whatever it sent the device before that has been read by now: no PUBACK among it.
    await turns(3);
    expect(acked).toBe(false);
    proxy.release();
    await sent;

    // Queued once, not twice (aedes' own queueing after the PUBACK is skipped for it).
    await publish(sender, topic, 'marker', { qos: 1 });
    const back = await connect(t.port, { ...creds(), clientId, clean: false });
    const box = inbox(back);
    await waitFor(() => box.got.some((m) => m.payload === 'marker'), 'the marker');
    expect(box.got.map((m) => m.payload)).toEqual(['kept', 'marker']);
  });

  it('a retained QoS 1 message is in the store before its PUBACK', async () => {
    const topic = `fleet-ack/state/${run}`;
    const sender = await connect(t.port, creds());
    proxy.hold();
    let acked = false;
    const sent = publish(sender, topic, 'on', { qos: 1, retain: true }).then(() => void (acked = true));
    await waitFor(() => proxy.seen().includes(topic), 'the broker storing the retained message');
    await turns(3);
    expect(acked).toBe(false);
    proxy.release();
    await sent;
    const reader = await connect(t.port, creds());
    const box = inbox(reader);
    await subscribe(reader, topic, 1);
    expect((await box.next(1))[0]).toMatchObject({ payload: 'on', retain: true });
  });
});
