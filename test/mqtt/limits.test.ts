import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cli.js';
import { closed, connackCode, connect, createProject, endAll, inbox, publish, rawConnack, rawSession, startMqttNode, subscribe, type MqttNode } from './support.js';

afterEach(endAll);

describe('MagMQTT limits: message size and publish rate', () => {
  let t: MqttNode;
  let key: string;

  beforeAll(async () => {
    t = await startMqttNode({ mqtt: { maxMessageBytes: 16, publishRate: { rps: 0.001, burst: 2 } } });
    await createProject(t, 'lim-x');
    key = (await t.key('lim-x')).key;
  });
  afterAll(() => t?.node.stop());

  it('a payload over mqtt.maxMessageBytes closes the connection; one at the limit is acknowledged', async () => {
    const c = await connect(t.port, { username: 'lim-x', password: key });
    await publish(c, 'lim-x/größe-"q"', 'x'.repeat(16), { qos: 1 });
    const gone = closed(c);
    c.publish('lim-x/größe-"q"', 'x'.repeat(17), { qos: 1 });
    await gone;
    const stats = await t.node.system.ref(t.node.address('mqtt')).ask<{ refused: Record<string, number> }>('mqtt.stats', null);
    expect(stats.refused.publish).toBeGreaterThanOrEqual(1);
  });

  it('over mqtt.publishRate (burst 2, then almost no refill) the connection closes; other clients are unaffected', async () => {
    const fast = await connect(t.port, { username: 'lim-x', password: key });
    const other = await connect(t.port, { username: 'lim-x', password: key });
    await subscribe(other, 'lim-x/rate-ü', 1);
    const box = inbox(other);
    await publish(fast, 'lim-x/rate-ü', 'one', { qos: 1 });
    await publish(fast, 'lim-x/rate-ü', 'two', { qos: 1 });
    const gone = closed(fast);
    fast.publish('lim-x/rate-ü', 'three', { qos: 1 });
    await gone;
    await publish(other, 'lim-x/rate-ü', 'still here', { qos: 1 });
    await box.next(3);
    expect(box.got.map((m) => m.payload)).toEqual(['one', 'two', 'still here']);
  });
});

describe('MagMQTT limits: connections per project and per IP', () => {
  let t: MqttNode;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    t = await startMqttNode({ mqtt: { maxConnectionsPerProject: 2, maxConnectionsPerIp: 3 } });
    for (const p of ['conn-a', 'conn-b']) {
      await createProject(t, p);
      keys[p] = (await t.key(p)).key;
    }
  });
  afterAll(() => t?.node.stop());

  it('CONNACK 3 beyond mqtt.maxConnectionsPerProject, then beyond mqtt.maxConnectionsPerIp', async () => {
    const as = (p: string) => ({ username: p, password: keys[p] });
    await connect(t.port, as('conn-a'));
    await connect(t.port, as('conn-a'));
    expect(await connackCode(t.port, as('conn-a'))).toBe(3);
    // conn-b has one connection of its two, but 127.0.0.1 now has its three.
    await connect(t.port, as('conn-b'));
    expect(await connackCode(t.port, as('conn-b'))).toBe(3);
  });
});

describe('MagMQTT over TLS', () => {
  let t: MqttNode;
  let key: string;
  let tlsPort: number;
  let ca: Buffer;

  beforeAll(async () => {
    const dir = tempDir('mobo-mqtt-tls-');
    const [certFile, keyFile] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    // A throwaway self-signed certificate for 127.0.0.1 (openssl is on every machine that runs these tests).
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    ca = readFileSync(certFile);
    t = await startMqttNode({ mqtt: { tls: { certFile, keyFile, port: 0 } } });
    tlsPort = (await t.node.system.ref(t.node.address('mqtt')).ask<{ listening: { tls: number } }>('mqtt.stats', null)).listening.tls;
    await createProject(t, 'secure');
    key = (await t.key('secure')).key;
  });
  afterAll(() => t?.node.stop());

  it('serves MQTT over TLS with the configured certificate, same credentials and topics as plain TCP', async () => {
    const overTls = await connect(tlsPort, { username: 'secure', password: key, ca, rejectUnauthorized: true }, `mqtts://127.0.0.1:${tlsPort}`);
    const plain = await connect(t.port, { username: 'secure', password: key });
    await subscribe(plain, 'secure/readings', 1);
    const box = inbox(plain);
    await publish(overTls, 'secure/readings', 'sealed', { qos: 1 });
    expect((await box.next(1))[0]).toMatchObject({ topic: 'secure/readings', payload: 'sealed' });
    expect(await connackCode(tlsPort, { username: 'secure', password: 'ak_secure_wrong', ca, protocol: 'mqtts' } as never)).toBe(4);
  });
});

describe('MagMQTT limits: keepalive and QoS 2 in flight', () => {
  let t: MqttNode;
  let key: string;

  beforeAll(async () => {
    t = await startMqttNode({ mqtt: { keepaliveMaxSeconds: 60, maxInflight: 2 } });
    await createProject(t, 'lim-k');
    key = (await t.key('lim-k')).key;
  });
  afterAll(() => t?.node.stop());

  it('a keepalive over mqtt.keepaliveMaxSeconds, or none, gets CONNACK 2 (MQTT 3.1.1 has no better code); one within it is accepted', async () => {
    const creds = { username: 'lim-k', password: key, clientId: 'ka-1' };
    expect(await rawConnack(t.port, { ...creds, keepalive: 61 })).toBe(2);
    expect(await rawConnack(t.port, { ...creds, keepalive: 0 })).toBe(2);
    expect(await rawConnack(t.port, { ...creds, keepalive: 60 })).toBe(0);
  });

  it('a client silent past 1.5 × its keepalive is disconnected, and its will is published', async () => {
    const watcher = await connect(t.port, { username: 'lim-k', password: key });
    await subscribe(watcher, 'lim-k/status/#', 1);
    const box = inbox(watcher);
    const silent = await rawSession(t.port, { username: 'lim-k', password: key, clientId: 'quiet-ü', keepalive: 1, will: { topic: 'lim-k/status/quiet', payload: Buffer.from('gone'), qos: 1, retain: false } });
    await silent.closed;
    expect((await box.next(1))[0]).toMatchObject({ topic: 'lim-k/status/quiet', payload: 'gone' });
  });

  it('QoS 2 publishes awaiting PUBREL beyond mqtt.maxInflight close the connection; up to it each gets its PUBREC', async () => {
    const session = await rawSession(t.port, { username: 'lim-k', password: key, clientId: 'qos2-1', keepalive: 30 });
    const qos2 = (messageId: number) => session.send({ cmd: 'publish', topic: 'lim-k/q2', payload: Buffer.from(`m${messageId}`), qos: 2, messageId, retain: false, dup: false });
    qos2(1);
    qos2(2);
    await session.packet((p) => p.cmd === 'pubrec' && p.messageId === 2);
    qos2(3);
    await session.closed;
    expect(session.received.filter((p) => p.cmd === 'pubrec').map((p) => p.messageId)).toEqual([1, 2]);
  });
});
