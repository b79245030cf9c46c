/**
 * Cluster membership on NATS: every node puts a heartbeat under its id in the JetStream KV
 * bucket `mobo_members_<cluster>` every `heartbeatMs`; the bucket's max age is `downMs`, so
 * a dead node's entry expires by itself (nats-server 2.9 has no per-key TTL; one bucket per
 * cluster gives the same). Every node watches the bucket and runs its own FailureDetector
 * over what it hears; state changes go to listeners and, as `system.node.<state>`
 * (`system.node.up`, `system.node.down` …), to this node's event bus (emitted locally: each node's detector speaks for itself, and clusters
 * sharing a NATS server never hear each other, their buckets being apart).
 */
import { Kvm, type KV, type KvWatchEntry } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { QueuedIterator } from '@nats-io/nats-core';
import { randomBytes } from 'node:crypto';
import { DEFAULT_REPLICAS, natsServers, type EventBus } from '../runtime/index.js';
import { DEFAULT_TIMEOUTS, FailureDetector, type Announced, type DetectorTimeouts, type MemberView, type NodeState, type Transition } from './detector.js';

export const MEMBER_TOPIC = 'system.node';
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export interface MembershipOptions extends Partial<DetectorTimeouts> {
  servers: string | string[];
  /** Replicas of the members bucket when this creates it (runtime/nats-servers.ts). */
  replicas?: number;
  /**
   * The node's own NATS connection (its transport's), so heartbeats stop when the node's
   * link does; left open by `close()`. Without it, Membership connects on its own.
   */
  connection?: NatsConnection;
  /** Nodes with the same cluster id form one cluster; others on the same NATS are not seen. */
  clusterId: string;
  nodeId: string;
  /** Shown in `mobo cluster:nodes` (an HTTP address, a version). */
  meta?: Record<string, string>;
  events?: EventBus;
  /** Monotonic milliseconds (keeps counting while the process is paused). */
  now?: () => number;
}

interface Beat {
  s: Announced;
  i: string;
  m: Record<string, string>;
}

export interface ClusterEvent extends Transition {
  cluster: string;
}

export function membersBucket(clusterId: string): string {
  return `mobo_members_${clusterId}`;
}

export class Membership {
  readonly incarnation = randomBytes(6).toString('hex');
  private readonly detector: FailureDetector;
  private readonly listeners = new Set<(t: ClusterEvent) => void>();
  private announced: Announced = 'joining';
  private timer: NodeJS.Timeout | undefined;
  private watcher: QueuedIterator<KvWatchEntry> | undefined;
  private closed = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly opts: MembershipOptions & DetectorTimeouts & { now: () => number },
    private readonly ownsConnection: boolean,
  ) {
    this.detector = new FailureDetector(opts);
  }

  /** Joins: announces `joining`, reads the members, then announces `up`. */
  static async join(options: MembershipOptions): Promise<Membership> {
    for (const field of ['clusterId', 'nodeId'] as const) {
      if (!TOKEN.test(options[field])) throw new RangeError(`cluster ${field} must be 1-64 letters, digits, _ or - (got ${JSON.stringify(options[field])})`);
    }
    const opts = { ...DEFAULT_TIMEOUTS, now: () => performance.now(), ...options };
    const nc = opts.connection ?? (await connect({ servers: natsServers(opts.servers), name: `mobo-members-${opts.nodeId}`, maxReconnectAttempts: -1 }));
    const membership = await (async () => {
      const kvm = new Kvm(nc);
      const bucket = membersBucket(opts.clusterId);
      const kv = await kvm.create(bucket, { history: 1, ttl: opts.downMs, replicas: opts.replicas ?? DEFAULT_REPLICAS }).catch(() => kvm.open(bucket));
      return new Membership(nc, kv, opts, !opts.connection);
    })().catch(async (err: unknown) => {
      if (!opts.connection) await nc.close();
      throw err;
    });
    try {
      await membership.start();
    } catch (err) {
      await membership.close();
      throw err;
    }
    return membership;
  }

  get nodeId(): string {
    return this.opts.nodeId;
  }

  get clusterId(): string {
    return this.opts.clusterId;
  }

  /** Every member this node knows of, itself included. */
  members(): MemberView[] {
    return this.detector.view(this.opts.now());
  }

  state(node = this.opts.nodeId): NodeState | undefined {
    return this.detector.state(node);
  }

  /** Members work may be placed on (up or suspect), sorted. A leaving node is not among them. */
  live(): string[] {
    return this.detector.live();
  }

  /** Adds to what this node says about itself (its HTTP address once it listens); sent with the next beat. */
  describe(meta: Record<string, string>): void {
    this.opts.meta = { ...this.opts.meta, ...meta };
    void this.beat();
  }

  onChange(listener: (event: ClusterEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Announces `leaving`: the others stop placing work here. `close()` then removes the entry. */
  async leaving(): Promise<void> {
    this.announced = 'leaving';
    await this.beat();
  }

  /** Leaves (the key is deleted, so the others see `down` at once) and disconnects. */
  async leave(): Promise<void> {
    if (this.closed) return;
    if (this.announced !== 'leaving') await this.leaving();
    await this.kv.delete(this.opts.nodeId).catch(() => undefined);
    await this.close();
  }

  /** Disconnects without saying goodbye (the others detect it by silence). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.watcher?.stop();
    if (this.ownsConnection && !this.nc.isClosed()) await this.nc.close();
  }

  private async start(): Promise<void> {
    await this.beat();
    const watcher = await this.kv.watch({ key: '>' });
    this.watcher = watcher;
    void (async () => {
      for await (const entry of watcher) this.observe(entry);
    })().catch(() => undefined);
    this.timer = setInterval(() => {
      void this.beat();
      this.apply(this.detector.tick(this.opts.now()));
    }, this.opts.heartbeatMs);
    this.timer.unref();
    this.announced = 'up';
    await this.beat();
    await waitUntil(() => this.detector.state(this.opts.nodeId) === 'up', this.opts.downMs, this.nc);
  }

  private async beat(): Promise<void> {
    if (this.closed) return;
    const beat: Beat = { s: this.announced, i: this.incarnation, m: this.opts.meta ?? {} };
    // A failed beat is silence: the others' detectors decide what it means.
    await this.kv.put(this.opts.nodeId, JSON.stringify(beat)).catch(() => undefined);
  }

  private observe(entry: KvWatchEntry): void {
    if (entry.operation !== 'PUT') return this.apply(this.detector.left(entry.key));
    let beat: Beat;
    try {
      beat = entry.json<Beat>();
    } catch {
      return;
    }
    if (!['joining', 'up', 'leaving'].includes(beat.s) || typeof beat.i !== 'string') return;
    this.apply(this.detector.heard(entry.key, beat.s, beat.i, this.opts.now(), beat.m ?? {}));
  }

  private apply(transitions: Transition[]): void {
    for (const t of transitions) {
      const event: ClusterEvent = { ...t, cluster: this.opts.clusterId };
      this.opts.events?.emitLocal(`${MEMBER_TOPIC}.${t.to}`, event);
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch {
          // A listener's failure is its own.
        }
      }
    }
  }
}

/** Waits for a condition driven by the watcher, bounded so a broken server cannot hang a join. */
async function waitUntil(check: () => boolean, withinMs: number, nc: NatsConnection): Promise<void> {
  const until = performance.now() + withinMs;
  while (!check()) {
    if (performance.now() > until) throw new Error('cluster membership: our own heartbeat never came back from NATS');
    await nc.flush();
    await new Promise((r) => setTimeout(r, 10));
  }
}
