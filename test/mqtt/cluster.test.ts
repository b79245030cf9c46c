import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bootNode, tempDir, type BootedNode } from '../support/cli.js';
import { NATS_URL } from '../support/nats.js';
import { waitFor } from '../support/wait.js';
import { connect, createProject, endAll, freePort, inbox, publish, startMqttNode, subscribe, type MqttNode } from './support.js';
import mqtt, { type MqttClient } from 'mqtt';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';


/**
 * Two nodes of one cluster: NATS between them, one control store (a throwaway Postgres
 * database), one secrets key, MQTT sessions in one Redis (a key prefix of this run). Node A is
 * a real `mobo boot` process, so it can be killed with SIGKILL; node B runs in this process.
 */
describe('MagMQTT across nodes', () => {
  const run = randomBytes(4).toString('hex');
  const controlDb = `mobo_mqc_${run}`;
  const prefix = `mobotest:mqtt:${run}:`;
  const admin = new pg.Client({ connectionString: PG_URL });
  let b: MqttNode;
  let a: BootedNode;
  let aPort: number;
  let key: string;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${controlDb}`);
    const url = new URL(PG_URL);
    url.pathname = `/${controlDb}`;
    const shared = { MOBO_NATS_URL: NATS_URL, MOBO_CONTROL__KIND: 'postgres', MOBO_CONTROL__URL: url.toString(), MOBO_SECRETS__KEY: randomBytes(32).toString('base64') };
    const persistence = { kind: 'redis', url: REDIS_URL, prefix };
    b = await startMqttNode({ mqtt: { persistence } }, { ...shared, MOBO_NODE_ID: `mq-b-${run}` });
    await createProject(b, 'fleet');
    key = (await b.key('fleet')).key;
    aPort = await freePort();
    const dir = tempDir('mobo-mqtt-a-');
    writeFileSync(join(dir, 'mobo.config.json'), JSON.stringify({ mqtt: { enabled: true, port: aPort, websocket: { port: null }, persistence } }));
    a = bootNode({ cwd: dir, env: { ...shared, MOBO_DATA_DIR: dir, MOBO_NODE_ID: `mq-a-${run}`, MOBO_HEALTH__INTERVAL_MS: '0' } });
    await a.ready;
  });
  afterEach(endAll);
  afterAll(async () => {
    a?.proc.kill('SIGKILL');
    await b?.node.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${controlDb} WITH (FORCE)`);
    await admin.end();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const creds = () => ({ username: 'fleet', password: key });

  it.each([0, 1, 2] as const)('a QoS %i message published on one node reaches a subscriber on the other', async (qos) => {
    const topic = `fleet/broadcast/${qos}/${run}`;
    const onA = await connect(aPort, creds());
    const onB = await connect(b.port, creds());
    await subscribe(onA, topic, qos);
    await subscribe(onB, topic, qos);
    const [boxA, boxB] = [inbox(onA), inbox(onB)];
    // Every message crosses to every node over NATS and is matched there: no subscription has to travel first.
    await publish(onB, topic, 'from B', { qos });
    await publish(onA, topic, 'from A', { qos });
    await Promise.all([boxA.next(2), boxB.next(2)]);
    expect(boxA.got.map((m) => m.payload).sort()).toEqual(['from A', 'from B']);
    expect(boxB.got.map((m) => m.payload).sort()).toEqual(['from A', 'from B']);
  });

  it('a retained message set on one node is served by the other', async () => {
    const topic = `fleet/retained/${run}`;
    const onA = await connect(aPort, creds());
    await publish(onA, topic, 'kept', { qos: 1, retain: true });
    const onB = await connect(b.port, creds());
    const box = inbox(onB);
    await subscribe(onB, topic, 1);
    expect((await box.next(1))[0]).toMatchObject({ payload: 'kept', retain: true });
  });

  it('kill -9 the node holding a persistent session: the device resumes it on the other node and gets every acknowledged QoS 1 message', async () => {
    const clientId = `truck-${run}`;
    const topic = `fleet/commands/${clientId}`;
    const device = await connect(aPort, { ...creds(), clientId, clean: false });
    expect(await subscribe(device, topic, 1)).toBe(1);
    const first = inbox(device);
    const sender = await connect(b.port, creds());
    await publish(sender, topic, 'before the kill', { qos: 1 });
    await first.next(1);
    const gone = new Promise<void>((r) => device.once('close', () => r()));
    a.proc.kill('SIGKILL');
    await a.exited;
    await gone;
    // PUBACKed by B while the device is offline: each must be delivered when it comes back.
    for (const n of [1, 2, 3, 4, 5]) await publish(sender, topic, `queued ${n}`, { qos: 1 });
    const resumed = mqtt.connect(`mqtt://127.0.0.1:${b.port}`, { protocolVersion: 4, reconnectPeriod: 0, ...creds(), clientId, clean: false });
    const box = inbox(resumed);
    const ack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => (resumed.once('connect', resolve), resumed.once('error', reject)));
    expect(ack.sessionPresent).toBe(true);
    // QoS 1 is at least once: the message delivered just before the kill may come again (its PUBACK may have died with A).
    const queued = () => box.got.map((m) => m.payload).filter((p) => p !== 'before the kill');
    await waitFor(() => queued().length >= 5, 'the queued messages on the resumed session');
    expect(queued()).toEqual([1, 2, 3, 4, 5].map((n) => `queued ${n}`));
    await new Promise<void>((r) => (resumed as MqttClient).end(true, {}, () => r()));
  });
});
