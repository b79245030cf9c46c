/**
 * One client process of the MagWS bench fleet (forked by ws-fleet.ts, driven over IPC): a
 * share of the raw Pusher-protocol connections, on bare TCP sockets with the few lines of
 * WebSocket framing a client needs (the `ws` library costs several times more per frame, and
 * the client's per-frame cost is what a 10,000-subscriber number would otherwise measure).
 * Each message is timestamped when its first byte reaches JS (the `data` callback of its
 * chunk), on the monotonic clock every process of this machine shares (`process.hrtime`),
 * against the publisher's timestamp carried in the event's data.
 */
import { connect, type Socket } from 'node:net';
import { signChannel } from '../gateway/realtime/signatures.js';
import { hrMs } from './ws-fleet.js';

export type ToWorker =
  | { type: 'open'; port: number; key: string; n: number; concurrency: number; deadlineMs: number }
  | { type: 'subscribe'; channel: string; only: number; deadlineMs: number; sign?: { id: string; key: string; secret: string }; channelData?: string }
  | { type: 'phase'; event: string }
  | { type: 'collect' }
  | { type: 'close' };

export type FromWorker =
  | { type: 'opened'; held: number }
  | { type: 'subscribed'; n: number }
  | { type: 'done'; i: number }
  | { type: 'collected'; samples: Float64Array; delivered: number; lastAt: number; cpuMs: number };

interface Client {
  sock: Socket;
  socketId?: string;
  buf?: Buffer;
}

const clients: Client[] = [];
/** Subscriptions acknowledged per channel (what each round waits for on this worker). */
const subscribedTo = new Map<string, number>();
let subscribing: { channel: string; target: number; count: number; done: () => void } | undefined;
let phase: { event: string; samples: number[]; counts: Map<number, number>; delivered: number; lastAt: number; cpu: NodeJS.CpuUsage } | undefined;

const send = (m: FromWorker): void => void process.send!(m);

/** A client→server text frame (masked with a zero key: the payload goes as is). */
function textFrame(text: string): Buffer {
  const body = Buffer.from(text);
  const head = body.length < 126 ? Buffer.from([0x81, 0x80 | body.length, 0, 0, 0, 0]) : Buffer.from([0x81, 0xfe, body.length >> 8, body.length & 0xff, 0, 0, 0, 0]);
  return Buffer.concat([head, body]);
}

const T = /"t":([0-9.]+)/;
const I = /"(?:i|id)":(\d+)/;

function onText(client: Client, text: string, at: number): void {
  const msg = JSON.parse(text) as { event: string; channel?: string; data: string };
  if (phase && msg.event === phase.event) {
    const t = Number(T.exec(msg.data)?.[1]);
    const i = Number(I.exec(msg.data)?.[1]);
    phase.samples.push(at - t);
    phase.delivered++;
    phase.lastAt = at;
    const n = (phase.counts.get(i) ?? 0) + 1;
    phase.counts.set(i, n);
    if (n === subscribedTo.get(msg.channel ?? '')) send({ type: 'done', i });
    return;
  }
  switch (msg.event) {
    case 'pusher:connection_established':
      client.socketId = (JSON.parse(msg.data) as { socket_id: string }).socket_id;
      return;
    case 'pusher_internal:subscription_succeeded':
      if (subscribing && msg.channel === subscribing.channel && ++subscribing.count === subscribing.target) subscribing.done();
      return;
    case 'pusher:ping':
      return void client.sock.write(textFrame('{"event":"pusher:pong","data":{}}'));
  }
}

/** Server→client frames are unmasked; a chunk may hold several frames or part of one. */
function onFrames(client: Client, chunk: Buffer, at: number): void {
  let b = client.buf ? Buffer.concat([client.buf, chunk]) : chunk;
  client.buf = undefined;
  let o = 0;
  while (b.length - o >= 2) {
    const op = b[o]! & 0x0f;
    let len = b[o + 1]! & 0x7f;
    let h = 2;
    if (len === 126) {
      if (b.length - o < 4) break;
      len = b.readUInt16BE(o + 2);
      h = 4;
    } else if (len === 127) {
      if (b.length - o < 10) break;
      len = Number(b.readBigUInt64BE(o + 2));
      h = 10;
    }
    if (b.length - o < h + len) break;
    const payload = b.subarray(o + h, o + h + len);
    o += h + len;
    if (op === 1) onText(client, payload.toString('utf8'), at);
    else if (op === 9) client.sock.write(Buffer.concat([Buffer.from([0x8a, 0x80 | payload.length, 0, 0, 0, 0]), payload]));
  }
  if (o < b.length) client.buf = Buffer.from(b.subarray(o));
}

function open1(port: number, key: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const client: Client = { sock: connect({ host: '127.0.0.1', port, noDelay: true }) };
    const { sock } = client;
    const timer = setTimeout(() => (sock.destroy(), reject(new Error('connect timeout'))), Math.max(1, timeoutMs));
    let head: Buffer | undefined = Buffer.alloc(0);
    let established = false;
    sock.on('error', () => (clearTimeout(timer), reject(new Error('connect failed'))));
    sock.on('connect', () =>
      sock.write(
        `GET /app/${key}?protocol=7&client=bench&version=1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      ),
    );
    sock.on('data', (chunk: Buffer) => {
      const at = hrMs();
      if (head) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!head.subarray(0, 12).toString().includes(' 101')) return void (sock.destroy(), clearTimeout(timer), reject(new Error('upgrade refused')));
        const rest = head.subarray(end + 4);
        head = undefined;
        chunk = rest;
      }
      if (chunk.length) onFrames(client, chunk, at);
      if (client.socketId && !established) {
        established = true;
        clearTimeout(timer);
        clients.push(client);
        resolve();
      }
    });
  });
}

async function open(m: Extract<ToWorker, { type: 'open' }>): Promise<void> {
  const until = hrMs() + m.deadlineMs;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < m.n && hrMs() < until) {
      next++;
      await open1(m.port, m.key, until - hrMs()).catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: m.concurrency }, worker));
  send({ type: 'opened', held: clients.length });
}

async function subscribe(m: Extract<ToWorker, { type: 'subscribe' }>): Promise<void> {
  const target = Math.min(m.only, clients.length);
  const done = new Promise<void>((resolve) => {
    subscribing = { channel: m.channel, target, count: 0, done: resolve };
    setTimeout(resolve, m.deadlineMs).unref();
  });
  for (const c of clients.slice(0, target)) {
    const auth = m.sign ? { auth: signChannel(m.sign, c.socketId!, m.channel, m.channelData), ...(m.channelData === undefined ? {} : { channel_data: m.channelData }) } : {};
    c.sock.write(textFrame(JSON.stringify({ event: 'pusher:subscribe', data: { channel: m.channel, ...auth } })));
  }
  if (target > 0) await done;
  const n = subscribing!.count;
  subscribing = undefined;
  subscribedTo.set(m.channel, n);
  send({ type: 'subscribed', n });
}

process.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'open':
      return void open(m);
    case 'subscribe':
      return void subscribe(m);
    case 'phase':
      phase = { event: m.event, samples: [], counts: new Map(), delivered: 0, lastAt: 0, cpu: process.cpuUsage() };
      return;
    case 'collect': {
      const p = phase;
      phase = undefined;
      const cpu = process.cpuUsage(p?.cpu);
      return send({ type: 'collected', samples: Float64Array.from(p?.samples ?? []), delivered: p?.delivered ?? 0, lastAt: p?.lastAt ?? 0, cpuMs: p ? (cpu.user + cpu.system) / 1000 : 0 });
    }
    case 'close':
      for (const c of clients) c.sock.destroy();
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
