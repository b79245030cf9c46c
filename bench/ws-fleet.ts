/**
 * The MagWS bench's client fleet: raw Pusher-protocol connections spread over several client
 * processes (ws-worker.ts, each started through `bash -c 'ulimit -n 65536; exec node …'`),
 * so no single process has to drain a whole 10,000-frame burst. Every worker timestamps each
 * message's first byte on the machine-wide monotonic clock and ships its samples back; the
 * fleet merges them. Plus a signed HTTP publisher. Every wait is bounded by a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { signRequest } from '../gateway/realtime/signatures.js';
import type { FromWorker, ToWorker } from './ws-worker.js';

/** Milliseconds on the monotonic clock (CLOCK_MONOTONIC), the same in every process of this machine. */
export const hrMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export interface AppCreds {
  id: string;
  key: string;
  secret: string;
}

export interface PhaseResult {
  samples: number[];
  delivered: number;
  /** Latest receipt over every worker (hrMs clock). */
  lastAt: number;
  /** CPU time the client processes spent in the phase (user + system). */
  clientCpuMs: number;
}

const WORKER = fileURLToPath(new URL('./ws-worker.js', import.meta.url));

class Worker {
  readonly proc: ChildProcess;
  private waiting: ((m: FromWorker) => void) | undefined;
  private exited: Error | undefined;
  onDone: (i: number) => void = () => undefined;
  held = 0;
  /** Subscribed per channel on this worker. */
  readonly subscribed = new Map<string, number>();

  constructor(nice: number) {
    this.proc = spawn('bash', ['-c', `ulimit -n 65536 2>/dev/null; exec nice -n ${nice} "$0" "$@"`, process.execPath, WORKER], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    this.proc.once('exit', (code) => {
      this.exited = new Error(`fleet worker exited with ${code}`);
      this.waiting?.({ type: 'opened', held: 0 });
    });
    this.proc.on('message', (m: FromWorker) => {
      if (m.type === 'done') return this.onDone(m.i);
      const w = this.waiting;
      this.waiting = undefined;
      w?.(m);
    });
  }

  ask<T extends FromWorker>(m: ToWorker): Promise<T> {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(this.exited);
      this.waiting = (r) => (this.exited ? reject(this.exited) : resolve(r as T));
      this.proc.send(m);
    });
  }
}

export class Fleet {
  private readonly workers: Worker[];
  private round: { i: number; remaining: number; done: () => void } | undefined;

  constructor(
    private readonly port: number,
    private readonly app: AppCreds,
    readonly processes: number,
    /** Scheduling niceness of the client processes (0: the same as the server's). */
    readonly nice = 0,
  ) {
    this.workers = Array.from({ length: processes }, () => new Worker(nice));
    for (const w of this.workers) w.onDone = (i) => this.workerDone(i);
  }

  /** Opens `n` connections spread evenly over the workers; returns how many are held. */
  async open(n: number, concurrencyPerWorker: number, deadlineMs: number): Promise<number> {
    const share = this.shares(n);
    const held = await Promise.all(
      this.workers.map(async (w, k) => (w.held = (await w.ask<Extract<FromWorker, { type: 'opened' }>>({ type: 'open', port: this.port, key: this.app.key, n: share[k]!, concurrency: concurrencyPerWorker, deadlineMs })).held)),
    );
    return held.reduce((a, b) => a + b, 0);
  }

  /** Subscribes the first `only` connections (spread evenly over the workers); private channels are signed with the app. */
  async subscribe(channel: string, deadlineMs: number, only = Infinity, priv?: { channelData?: string }): Promise<number> {
    const share = this.shares(Math.min(only, this.workers.reduce((a, w) => a + w.held, 0)));
    const got = await Promise.all(
      this.workers.map(async (w, k) => {
        const m: ToWorker = { type: 'subscribe', channel, only: share[k]!, deadlineMs };
        if (priv) {
          m.sign = this.app;
          if (priv.channelData !== undefined) m.channelData = priv.channelData;
        }
        const n = (await w.ask<Extract<FromWorker, { type: 'subscribed' }>>(m)).n;
        w.subscribed.set(channel, n);
        return n;
      }),
    );
    return got.reduce((a, b) => a + b, 0);
  }

  /** Starts counting and timestamping one event name on every worker. */
  phase(event: string): void {
    for (const w of this.workers) w.proc.send({ type: 'phase', event } satisfies ToWorker);
  }

  /** Resolves when every worker has seen event `i` on all its subscribers of the channel, or at the deadline. */
  awaitRound(i: number, channel: string, deadlineMs: number): Promise<void> {
    const remaining = this.workers.filter((w) => (w.subscribed.get(channel) ?? 0) > 0).length;
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, deadlineMs);
      this.round = { i, remaining, done: () => (clearTimeout(timer), resolve()) };
      if (remaining === 0) this.round.done();
    });
  }

  /** Many rounds at once (the fan-out phase): resolves when `count` rounds are done on every worker, or at the deadline. */
  awaitRounds(count: number, channel: string, deadlineMs: number): Promise<void> {
    const remaining = count * this.workers.filter((w) => (w.subscribed.get(channel) ?? 0) > 0).length;
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, deadlineMs);
      this.round = { i: -1, remaining, done: () => (clearTimeout(timer), resolve()) };
    });
  }

  /** Ends the phase: every worker's samples, merged. */
  async collect(): Promise<PhaseResult> {
    const parts = await Promise.all(this.workers.map((w) => w.ask<Extract<FromWorker, { type: 'collected' }>>({ type: 'collect' })));
    const samples: number[] = [];
    for (const p of parts) for (const s of p.samples) samples.push(s);
    return { samples, delivered: parts.reduce((a, p) => a + p.delivered, 0), lastAt: Math.max(...parts.map((p) => p.lastAt)), clientCpuMs: parts.reduce((a, p) => a + p.cpuMs, 0) };
  }

  close(): void {
    for (const w of this.workers) if (w.proc.connected) w.proc.send({ type: 'close' } satisfies ToWorker);
  }

  private workerDone(i: number): void {
    const r = this.round;
    if (!r || (r.i !== -1 && r.i !== i)) return;
    if (--r.remaining === 0) {
      this.round = undefined;
      r.done();
    }
  }

  private shares(n: number): number[] {
    const k = this.workers.length;
    return this.workers.map((_, j) => Math.floor(n / k) + (j < n % k ? 1 : 0));
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
