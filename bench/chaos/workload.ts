/**
 * The chaos run's clients, each recording what it saw (history.ts):
 * - writers: a stream of inserts, each with a unique id that is also its Idempotency-Key,
 *   retried with the same key on errors and timeouts until acknowledged (2xx) or until the
 *   operation's deadline (then `info`: unknown);
 * - readers: look up a write acknowledged before the read began (it must be there);
 * - subscribers: pusher-js clients on the table's change channel, each on one node directly (so
 *   the checker knows when its server died; through HAProxy a client notices a killed node only
 *   up to a second later), reconnecting (pusher-js does) when it comes back; each logs its
 *   sessions and every change it receives.
 * Writers and readers go through HAProxy.
 */
import PusherJs from 'pusher-js';
import type { Attempt, Outcome, ReadOp, Session, SubscriberLog, WriteOp } from './history.js';
import { SOURCE, TABLE, type ChaosData } from './setup.js';
import { waitUntil } from './wait.js';

/** pusher-js is CommonJS: at run time its module is the class (its typings say `.default`). */
const Pusher = PusherJs as unknown as typeof PusherJs.default;
type PusherClient = InstanceType<typeof PusherJs.default>;

export interface WorkloadOptions {
  /** The load balancer's URL. */
  url: string;
  /** Subscriber i connects to node i mod n. */
  nodes: ReadonlyArray<{ id: string; url: string }>;
  data: ChaosData;
  writers: number;
  readers: number;
  subscribers: number;
  /** Pause between one writer's operations (load shaping on a small box, not synchronisation). */
  writeEveryMs: number;
  readEveryMs: number;
  /** One try's timeout: a paused node's request is abandoned and retried after this. */
  attemptTimeoutMs: number;
  /**
   * An operation's deadline over all its tries. Keep it under `http.idempotency.inFlightMs`
   * (60 s): after that a retry may take over the key of a write whose node died between
   * committing and recording it, and run it again (gateway/rest/idempotency.ts, "the one gap").
   */
  opDeadlineMs: number;
  /** At the end, the longest wait for subscribers to receive the last acknowledged writes. */
  drainMs: number;
  now: () => number;
}

export interface Workload {
  writes: WriteOp[];
  reads: ReadOp[];
  subscribers: SubscriberLog[];
  /** Resolves once every subscriber is subscribed. */
  ready: Promise<void>;
  /** Stops starting operations, lets those in flight finish (within their deadline), closes subscribers. */
  stop(): Promise<void>;
}

/** What the client does with an answer: done (ok or a definite refusal), or try again. */
function verdict(a: Attempt): Outcome | 'retry' {
  if (typeof a.status !== 'number') return 'retry';
  if (a.status >= 200 && a.status < 300) return 'ok';
  // 409 IDEMPOTENCY_IN_PROGRESS: the first try is still settling (or its node died mid-write); 408/429: come back later.
  if (a.status === 409 && a.code === 'IDEMPOTENCY_IN_PROGRESS') return 'retry';
  if (a.status === 408 || a.status === 429 || a.status >= 500) return 'retry';
  return 'fail';
}

interface Answer {
  attempt: Attempt;
  body: unknown;
}

async function attempt(url: string, init: RequestInit, timeoutMs: number, now: () => number): Promise<Answer> {
  const start = now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
    const said = typeof code === 'string' ? { code } : res.ok ? {} : { detail: text.slice(0, 160) };
    return { attempt: { start, end: now(), status: res.status, ...said }, body };
  } catch (err) {
    const name = (err as { name?: string }).name;
    return { attempt: { start, end: now(), status: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network' }, body: undefined };
  }
}

/** Tries until a definite answer or the deadline; backoff 50 ms doubling to 1 s between tries. */
async function withRetries(send: () => Promise<Answer>, opts: WorkloadOptions): Promise<{ outcome: Outcome; attempts: Attempt[]; body: unknown }> {
  const attempts: Attempt[] = [];
  const deadline = opts.now() + opts.opDeadlineMs;
  let backoff = 50;
  for (;;) {
    const { attempt: a, body } = await send();
    attempts.push(a);
    const v = verdict(a);
    if (v !== 'retry') return { outcome: v, attempts, body };
    if (opts.now() + backoff >= deadline) return { outcome: 'info', attempts, body };
    await new Promise((r) => setTimeout(r, backoff));
    backoff = Math.min(1_000, backoff * 2);
  }
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function startWorkload(opts: WorkloadOptions): Workload {
  const writes: WriteOp[] = [];
  const reads: ReadOp[] = [];
  const acked: string[] = [];
  let running = true;
  const headers = { authorization: `Bearer ${opts.data.apiKey}`, 'content-type': 'application/json' };
  const target = opts.url + opts.data.path;

  const writer = async (w: number): Promise<void> => {
    for (let n = 0; running; n++) {
      const id = `w${w}-${n}`;
      const start = opts.now();
      const body = JSON.stringify({ write_id: id, writer: w });
      const done = await withRetries(() => attempt(target, { method: 'POST', headers: { ...headers, 'idempotency-key': id }, body }, opts.attemptTimeoutMs, opts.now), opts);
      writes.push({ id, writer: w, start, end: opts.now(), outcome: done.outcome, attempts: done.attempts });
      if (done.outcome === 'ok') acked.push(id);
      await pause(opts.writeEveryMs);
    }
  };

  const reader = async (r: number): Promise<void> => {
    for (let n = 0; running; n++) {
      await pause(opts.readEveryMs);
      // A recent acknowledged write (the newest ones are where a stale read would show), chosen per reader.
      const writeId = acked[Math.max(0, acked.length - 1 - ((n * 7 + r) % 50))];
      if (writeId === undefined) continue;
      const start = opts.now();
      const done = await withRetries(() => attempt(`${target}?write_id=eq.${encodeURIComponent(writeId)}&select=write_id`, { headers }, opts.attemptTimeoutMs, opts.now), opts);
      const rows = (done.body as { data?: unknown[] } | undefined)?.data;
      reads.push({ writeId, start, end: opts.now(), outcome: done.outcome, attempts: done.attempts, ...(done.outcome === 'ok' ? { found: Array.isArray(rows) && rows.length > 0 } : {}) });
    }
  };

  const subs = Array.from({ length: opts.subscribers }, (_, i) => subscribe(`s${i + 1}`, opts.nodes[i % opts.nodes.length]!, opts));
  const loops = [...Array.from({ length: opts.writers }, (_, w) => writer(w)), ...Array.from({ length: opts.readers }, (_, r) => reader(r))];
  return {
    writes,
    reads,
    subscribers: subs.map((s) => s.log),
    ready: Promise.all(subs.map((s) => s.ready)).then(() => undefined),
    async stop() {
      running = false;
      await Promise.all(loops);
      // Changes of the last writes may still be on their way: wait (bounded) until every subscriber
      // that is subscribed has every acknowledged write of its open session, so closing it does
      // not turn a late delivery into a gap. A real gap just runs out the deadline.
      const settled = (): boolean => subs.every((s) => s.missingInOpenSession(writes).length === 0);
      await waitUntil(settled, 'subscribers to receive the last writes', opts.drainMs).catch(() => undefined);
      for (const s of subs) s.close(opts.now());
    },
  };
}

interface Subscriber {
  log: SubscriberLog;
  ready: Promise<void>;
  /** Acknowledged writes made wholly inside the session still open that it has not received. */
  missingInOpenSession(writes: readonly WriteOp[]): string[];
  close(at: number): void;
}

/** One pusher-js client on `private-db-<source>.<table>` of one node. */
function subscribe(name: string, node: { id: string; url: string }, opts: WorkloadOptions): Subscriber {
  const server = new URL(node.url);
  const log: SubscriberLog = { name, node: node.id, sessions: [], received: [] };
  let open: Session | undefined;
  const client: PusherClient = new Pusher(opts.data.realtime.key, {
    cluster: 'local',
    wsHost: server.hostname,
    wsPort: Number(server.port),
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    channelAuthorization: { endpoint: node.url + opts.data.realtime.authEndpoint, transport: 'ajax', headers: { authorization: `Bearer ${opts.data.apiKey}` } },
  });
  const channel = client.subscribe(`private-db-${SOURCE}.${TABLE}`);
  let resolveReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (resolveReady = r));
  // pusher-js subscribes again by itself on every reconnection; each success opens a session.
  channel.bind('pusher:subscription_succeeded', () => {
    open = { start: opts.now(), end: null };
    log.sessions.push(open);
    resolveReady();
  });
  let closed = false;
  let watching = false;
  /**
   * pusher-js retries a refused connection on a 15 s strategy timer, which would leave the
   * subscriber out for most of a short run after each restart of its node. As an app reacting to
   * "the server is back", it reconnects once the node answers /health again.
   */
  const reconnectWhenBack = async (): Promise<void> => {
    if (watching) return;
    watching = true;
    while (!closed && client.connection.state !== 'connected') {
      const back = await fetch(`${node.url}/health`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false);
      if (back && !closed && client.connection.state !== 'connected') {
        client.disconnect();
        client.connect();
        await waitUntil(() => closed || client.connection.state === 'connected', `${name} to reconnect`, 5_000).catch(() => undefined);
      } else await pause(250);
    }
    watching = false;
  };
  client.connection.bind('state_change', ({ current }: { current: string }) => {
    if (current !== 'connected' && open) {
      open.end = opts.now();
      open = undefined;
    }
    if (current !== 'connected' && current !== 'initialized') void reconnectWhenBack();
  });
  channel.bind('INSERT', (change: { row?: { write_id?: unknown; seq?: unknown } }) => {
    const writeId = change.row?.write_id;
    if (typeof writeId === 'string') log.received.push({ writeId, seq: Number(change.row?.seq), at: opts.now() });
  });
  return {
    log,
    ready,
    missingInOpenSession(writes) {
      if (!open) return [];
      const since = open.start;
      const got = new Set(log.received.map((d) => d.writeId));
      return writes.filter((w) => w.outcome === 'ok' && w.start > since && !got.has(w.id)).map((w) => w.id);
    },
    close(at) {
      closed = true;
      if (open) open.end = at;
      open = undefined;
      client.disconnect();
    },
  };
}
