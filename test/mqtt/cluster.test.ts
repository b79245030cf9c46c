import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bootNode, tempDir, type BootedNode } from '../support/cli.js';
import { NATS_URL } from '../support/nats.js';
import { waitFor } from '../support/wait.js';
import { closed, connackCode, connect, createProject, endAll, freePort, inbox, publish, startMqttNode, subscribe, type MqttNode } from './support.js';
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

  it('revoking a key on one node disconnects the devices using it on the other, and neither node takes it again', async () => {
    const { id, key: doomed } = await b.key('fleet');
    const onA = await connect(aPort, { username: 'fleet', password: doomed });
    const onB = await connect(b.port, { username: 'fleet', password: doomed });
    const bystander = await connect(aPort, creds());
    const gone = Promise.all([closed(onA), closed(onB)]);
    await b.admin('DELETE', `/v1/admin/projects/fleet/keys/${id}`);
    await gone;
    expect(bystander.connected).toBe(true);
    expect(await connackCode(aPort, { username: 'fleet', password: doomed })).toBe(4);
    expect(await connackCode(b.port, { username: 'fleet', password: doomed })).toBe(4);
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
    // A second device whose session sits offline on A: A itself PUBACKs messages queued for it, then dies.
    const parkedId = `parked-${run}`;
    const parkedTopic = `fleet/commands/${parkedId}`;
    const parked = await connect(aPort, { ...creds(), clientId: parkedId, clean: false });
    expect(await subscribe(parked, parkedTopic, 1)).toBe(1);
    await new Promise<void>((r) => parked.end(false, {}, () => r()));
    const senderOnA = await connect(aPort, creds());
    for (const n of [1, 2, 3]) await publish(senderOnA, parkedTopic, `acked by A ${n}`, { qos: 1 });
    const gone = new Promise<void>((r) => device.once('close', () => r()));
    a.proc.kill('SIGKILL');
    await a.exited;
    await gone;
    // PUBACKed by B while the device is offline: each must be delivered when it comes back.
    for (const n of [1, 2, 3, 4, 5]) await publish(sender, topic, `queued ${n}`, { qos: 1 });
    await publish(sender, parkedTopic, 'acked by B', { qos: 1 });
    const resume = async (id: string) => {
      const client = mqtt.connect(`mqtt://127.0.0.1:${b.port}`, { protocolVersion: 4, reconnectPeriod: 0, ...creds(), clientId: id, clean: false });
      const box = inbox(client);
      const ack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => (client.once('connect', resolve), client.once('error', reject)));
      return { client, box, ack };
    };
    const resumed = await resume(clientId);
    expect(resumed.ack.sessionPresent).toBe(true);
    // QoS 1 is at least once: the message delivered just before the kill may come again (its PUBACK may have died with A).
    const queued = () => resumed.box.got.map((m) => m.payload).filter((p) => p !== 'before the kill');
    await waitFor(() => queued().length >= 5, 'the queued messages on the resumed session');
    expect(queued()).toEqual([1, 2, 3, 4, 5].map((n) => `queued ${n}`));
    const back = await resume(parkedId);
    expect(back.ack.sessionPresent).toBe(true);
    await waitFor(() => back.box.got.length >= 4, 'the messages A and B acknowledged for the parked session');
    expect(back.box.got.map((m) => m.payload)).toEqual(['acked by A 1', 'acked by A 2', 'acked by A 3', 'acked by B']);
    for (const c of [resumed.client, back.client]) await new Promise<void>((r) => (c as MqttClient).end(true, {}, () => r()));
  });
});
