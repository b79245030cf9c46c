import { createServer, type AddressInfo } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startRealtimeNode, type TestNode } from '../realtime/support.js';

export interface MqttNode extends TestNode {
  port: number;
  wsPort: number | undefined;
  url: string;
  key(project: string, role?: string, scopes?: unknown): Promise<{ id: string; key: string }>;
}

/** An in-process node with MagMQTT on free ports (TCP and WebSocket); `config.mqtt` adds to the defaults. */
export async function startMqttNode(config: Record<string, unknown> = {}, env: Record<string, string> = {}): Promise<MqttNode> {
  const mqttSection = { enabled: true, port: 0, websocket: { port: 0 }, ...((config.mqtt as object) ?? {}) };
  const t = await startRealtimeNode({ ...config, mqtt: mqttSection }, env);
  const stats = await t.node.system.ref(t.node.address('mqtt')).ask<{ listening: { tcp: number; websocket?: number } }>('mqtt.stats', null);
  return {
    ...t,
    port: stats.listening.tcp,
    wsPort: stats.listening.websocket,
    key: async (project, role = 'developer', scopes) => t.admin('POST', `/v1/admin/projects/${project}/keys`, { role, ...(scopes ? { scopes } : {}) }),
  };
}

export async function createProject(t: TestNode, project: string): Promise<void> {
  await t.admin('POST', '/v1/admin/projects', { name: project });
}

const opened: MqttClient[] = [];

/** An MQTT.js client (3.1.1, no automatic reconnect) that has its CONNACK. */
export async function connect(port: number, opts: IClientOptions = {}, url = `mqtt://127.0.0.1:${port}`): Promise<MqttClient> {
  const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000, ...opts });
  opened.push(client);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
  return client;
}

/** The CONNACK return code a connection attempt gets (0 = accepted). */
export async function connackCode(port: number, opts: IClientOptions): Promise<number> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000, ...opts });
  opened.push(client);
  return new Promise<number>((resolve, reject) => {
    client.once('connect', (ack) => resolve(ack.returnCode ?? ack.reasonCode ?? 0));
    client.once('error', (err: Error & { code?: number }) => (typeof err.code === 'number' ? resolve(err.code) : reject(err)));
    client.once('close', () => reject(new Error('closed without a CONNACK')));
  });
}

export function subscribe(client: MqttClient, filter: string, qos: 0 | 1 | 2 = 0): Promise<number> {
  // MQTT.js reports a SUBACK of 0x80 as an error carrying the packet: that is the answer we look for.
  return new Promise((resolve, reject) =>
    client.subscribe(filter, { qos }, (err, granted) => {
      const refused = (err as { packet?: { granted?: number[] } } | null)?.packet?.granted?.[0];
      if (err) return refused === undefined ? reject(err) : resolve(refused);
      resolve(granted![0]!.qos);
    }),
  );
}

export function publish(client: MqttClient, topic: string, payload: string | Buffer, opts: { qos?: 0 | 1 | 2; retain?: boolean } = {}): Promise<void> {
  return new Promise((resolve, reject) => client.publish(topic, payload, { qos: opts.qos ?? 0, retain: opts.retain ?? false }, (err) => (err ? reject(err) : resolve())));
}

export interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

/** Collects messages; `next(n)` resolves once n messages (in total) have arrived. */
export function inbox(client: MqttClient, match: (topic: string) => boolean = () => true) {
  const got: Received[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  client.on('message', (topic, payload, packet) => {
    if (!match(topic)) return;
    got.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain });
    for (const w of waiters.splice(0)) (got.length >= w.n ? w.resolve() : waiters.push(w));
  });
  return {
    got,
    next: (n: number) => (got.length >= n ? Promise.resolve(got) : new Promise<Received[]>((resolve) => waiters.push({ n, resolve: () => resolve(got) }))),
  };
}

export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => (client.disconnected || (client as unknown as { connected: boolean }).connected === false ? resolve() : client.once('close', () => resolve())));
}

export async function endAll(): Promise<void> {
  await Promise.all(opened.splice(0).map((c) => new Promise<void>((resolve) => c.end(true, {}, () => resolve()))));
}

/**
 * Sends one raw CONNECT (for what MQTT.js itself refuses to send, e.g. an empty client id with
 * CleanSession=0) and resolves with the CONNACK's return code, or 'closed' if none came.
 */
export async function rawConnack(port: number, connect: Record<string, unknown>): Promise<number | 'closed'> {
  const { createConnection } = await import('node:net');
  const mqttPacket = (await import('mqtt-packet')).default;
  return new Promise((resolve, reject) => {
    const socket = createConnection(port, '127.0.0.1');
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (packet) => {
      if (packet.cmd === 'connack') {
        resolve(packet.returnCode ?? packet.reasonCode ?? -1);
        socket.destroy();
      }
    });
    socket.on('data', (chunk) => parser.parse(chunk));
    socket.on('close', () => resolve('closed'));
    socket.on('error', reject);
    const packet: Record<string, unknown> = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, keepalive: 30, clean: true, clientId: '', ...connect };
    socket.write(packet.clientId === '' && packet.clean === false ? emptyIdPersistentConnect(String(connect.username), String(connect.password)) : mqttPacket.generate(packet as never));
  });
}

/** A 3.1.1 CONNECT with an empty client id and CleanSession=0, byte by byte (every client library refuses to build one). */
function emptyIdPersistentConnect(username: string, password: string): Buffer {
  const str = (v: string) => {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, 0x80 | 0x40, 0, 30]), str(''), str(username), str(password)]);
  const length: number[] = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    length.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x10, ...length]), body]);
}

/** A port free a moment ago, for a node in another process that must be told its port up front. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A raw MQTT 3.1.1 session (mqtt-packet on a socket): for what MQTT.js does on its own (PINGREQ, PUBREL). */
export async function rawSession(port: number, connect: Record<string, unknown>) {
  const { createConnection } = await import('node:net');
  const mqttPacket = (await import('mqtt-packet')).default;
  const socket = createConnection(port, '127.0.0.1');
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const received: Array<{ cmd: string; messageId?: number; returnCode?: number }> = [];
  const waiters: Array<{ match: (p: (typeof received)[number]) => boolean; resolve: () => void }> = [];
  parser.on('packet', (packet) => {
    received.push(packet as (typeof received)[number]);
    for (const w of waiters.splice(0)) (w.match(packet as (typeof received)[number]) ? w.resolve() : waiters.push(w));
  });
  socket.on('data', (chunk) => parser.parse(chunk));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  const send = (packet: Record<string, unknown>) => socket.write(mqttPacket.generate(packet as never));
  const packet = (match: (p: (typeof received)[number]) => boolean) =>
    received.some(match) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ match, resolve }));
  send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, ...connect });
  await packet((p) => p.cmd === 'connack');
  if (received[0]?.returnCode !== 0) throw new Error(`CONNACK ${received[0]?.returnCode}`);
  return { send, packet, received, closed };
}
