/**
 * Many raw Pusher-protocol clients in one process (the `ws` library: pusher-js is too heavy
 * for ten thousand), plus a signed HTTP publisher. Every wait is bounded by a deadline.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { signRequest } from '../gateway/realtime/signatures.js';

export interface AppCreds {
  id: string;
  key: string;
  secret: string;
}

interface Client {
  ws: WebSocket;
  socketId?: string;
}

export type EventHandler = (data: string, receivedAt: number) => void;

export class Fleet {
  readonly clients: Client[] = [];
  private readonly handlers = new Map<string, EventHandler>();
  private subscribedCount = 0;
  private subscribedTarget = 0;
  private subscribedWaiter: (() => void) | undefined;

  constructor(
    private readonly port: number,
    private readonly key: string,
  ) {}

  /** Opens up to `n` connections, `concurrency` at a time, until `deadlineMs`; returns how many are established. */
  async open(n: number, concurrency: number, deadlineMs: number): Promise<number> {
    const until = performance.now() + deadlineMs;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < n && performance.now() < until) {
        next++;
        await this.connect(until - performance.now()).catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return this.clients.length;
  }

  on(event: string, handler: EventHandler): void {
    this.handlers.set(event, handler);
  }

  /** Subscribes every client; `auth` signs private channels. Resolves with how many succeeded before the deadline. */
  async subscribe(channel: string, deadlineMs: number, auth?: (socketId: string) => { auth: string; channel_data?: string }, only = this.clients.length): Promise<number> {
    this.subscribedCount = 0;
    const target = Math.min(only, this.clients.length);
    this.subscribedTarget = target;
    const done = new Promise<void>((resolve) => {
      this.subscribedWaiter = resolve;
      setTimeout(resolve, deadlineMs).unref();
    });
    for (const c of this.clients.slice(0, target)) c.ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel, ...(auth ? auth(c.socketId!) : {}) } }));
    if (target > 0) await done;
    this.subscribedWaiter = undefined;
    return this.subscribedCount;
  }

  close(): void {
    for (const c of this.clients) c.ws.terminate();
    this.clients.length = 0;
  }

  private connect(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${this.port}/app/${this.key}?protocol=7&client=bench&version=1`, { perMessageDeflate: false });
      const client: Client = { ws };
      const timer = setTimeout(() => (ws.terminate(), reject(new Error('connect timeout'))), Math.max(1, timeoutMs));
      ws.on('error', () => (clearTimeout(timer), reject(new Error('connect failed'))));
      ws.on('message', (raw: Buffer) => {
        const at = performance.now();
        const text = raw.toString();
        const msg = JSON.parse(text) as { event: string; data: unknown };
        if (msg.event === 'pusher:connection_established') {
          client.socketId = (JSON.parse(msg.data as string) as { socket_id: string }).socket_id;
          this.clients.push(client);
          clearTimeout(timer);
          resolve();
        } else if (msg.event === 'pusher_internal:subscription_succeeded') {
          if (++this.subscribedCount === this.subscribedTarget) this.subscribedWaiter?.();
        } else {
          this.handlers.get(msg.event)?.(msg.data as string, at);
        }
      });
    });
  }
}

/** Publishes one event through the Pusher HTTP API (the same signature the `pusher` library makes). */
export async function publish(port: number, app: AppCreds, channel: string, event: string, data: string): Promise<void> {
  const path = `/apps/${app.id}/events`;
  const body = JSON.stringify({ name: event, channels: [channel], data });
  const res = await fetch(`http://127.0.0.1:${port}${path}?${signRequest(app, 'POST', path, body, Date.now())}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (!res.ok) throw new Error(`publish: HTTP ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}
