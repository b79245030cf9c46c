/**
 * A cluster singleton: one holder at a time of a named lease in the JetStream KV bucket
 * `mobo_singletons_<cluster>`, each holding under a fencing term that only grows.
 *
 * The holder renews every leaseMs/3 by compare-and-set on the entry's revision. A contender
 * that sees the same revision for a whole leaseMs (its own monotonic clock, from when it first
 * saw it) takes over with term + 1, also by compare-and-set, so exactly one contender wins.
 * Contenders watch the key, so takeover is event-driven: each renewal re-arms a timer for the
 * moment that revision's lease runs out (no polling granularity added to a failover), and a
 * release (owner null) is claimed the moment it arrives; a slow poll remains as a fallback for
 * a watch that missed something across a reconnect. A holder that sees someone else's claim
 * in the watch stops at once.
 * The holder counts its lease from when it *sent* its last successful renewal, and stops
 * its copy `marginMs` before a contender could take over: by its own timer, or, after a
 * pause (SIGSTOP, a long GC), by `valid()` being false the moment it runs again. A renewal
 * that finds the revision moved means someone else holds it: stop at once.
 * Effects outside the process (a database write) should carry the term, so a store can
 * refuse a stale holder (the fencing token).
 */
import { Kvm, type KV, type KvEntry, type KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/nats-core';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DEFAULT_REPLICAS, natsServers } from '../runtime/index.js';

export interface SingletonOptions {
  servers: string | string[];
  /** Replicas of the leases bucket when this creates it (runtime/nats-servers.ts). */
  replicas?: number;
  /** A connection to share (the node's transport's); left open by `close()`. Default: its own. */
  connection?: NatsConnection;
  clusterId: string;
  nodeId: string;
  /** What the singleton is (letters, digits, _ and -). */
  name: string;
  leaseMs?: number;
  /** How long before the lease could be taken the holder stops. Default leaseMs/5. */
  marginMs?: number;
  /** Called when this node becomes the holder; the term fences its effects. */
  onAcquired(term: number): void | Promise<void>;
  /** Called (and awaited) when this node must stop its copy: before anyone else can hold. */
  onLost(term: number, why: 'expired' | 'taken' | 'released'): void | Promise<void>;
  now?: () => number;
}

interface Holding {
  owner: string | null;
  term: number;
}

export const DEFAULT_LEASE_MS = 1_000;

export class SingletonLease {
  private term = 0;
  private holding = false;
  private revision = 0;
  /** When the renewal that gave us `revision` was sent (holder), or when we first saw it (contender). */
  private since = 0;
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private busy: Promise<void> = Promise.resolve();
  private closed = false;
  private watcher: QueuedIterator<KvWatchEntry> | undefined;
  /** The key's last change as the watch delivered it: a contender claims from it without reading the key again. */
  private latest: KvEntry | undefined;
  private readonly leaseMs: number;
  private readonly marginMs: number;
  private readonly now: () => number;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly opts: SingletonOptions,
  ) {
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    this.marginMs = opts.marginMs ?? Math.round(this.leaseMs / 5);
    this.now = opts.now ?? (() => performance.now());
  }

  static async open(opts: SingletonOptions): Promise<SingletonLease> {
    const nc = opts.connection ?? (await connect({ servers: natsServers(opts.servers), name: `mobo-singleton-${opts.name}-${opts.nodeId}`, maxReconnectAttempts: -1 }));
    try {
      const kvm = new Kvm(nc);
      const bucket = `mobo_singletons_${opts.clusterId}`;
      const kv = await kvm.create(bucket, { history: 1, replicas: opts.replicas ?? DEFAULT_REPLICAS }).catch(() => kvm.open(bucket));
      const lease = new SingletonLease(nc, kv, opts);
      await lease.watch();
      lease.schedule(0);
      return lease;
    } catch (err) {
      if (!opts.connection) await nc.close();
      throw err;
    }
  }

  /** True while this node holds the lease and no one else can yet have taken it. */
  valid(): boolean {
    return this.holding && this.now() - this.since < this.leaseMs - this.marginMs;
  }

  /** The node holding the lease as this node last saw it (the watch), or undefined while nobody does. */
  holder(): string | undefined {
    if (this.holding) return this.opts.nodeId;
    if (!this.latest || this.latest.operation !== 'PUT') return undefined;
    return parse(this.latest).owner ?? undefined;
  }

  get currentTerm(): number {
    return this.term;
  }

  /** Gives the lease up (stopping our copy first), so a contender takes it at once. */
  async release(): Promise<void> {
    await this.serial(async () => {
      if (!this.holding) return;
      await this.lose('released');
      await this.kv.update(this.opts.name, JSON.stringify({ owner: null, term: this.term } satisfies Holding), this.revision).catch(() => undefined);
    });
  }

  async close(): Promise<void> {
    await this.release();
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
    this.watcher?.stop();
    if (!this.opts.connection && !this.nc.isClosed()) await this.nc.close();
  }

  /** Follows the key: contenders time their claim from each change, a holder hears a takeover. */
  private async watch(): Promise<void> {
    const watcher = await this.kv.watch({ key: this.opts.name });
    this.watcher = watcher;
    void (async () => {
      for await (const entry of watcher) this.observe(entry);
    })().catch(() => undefined);
  }

  private observe(entry: KvWatchEntry): void {
    if (this.closed) return;
    this.latest = entry;
    const held = entry.operation === 'PUT' ? parse(entry) : { owner: null, term: 0 };
    if (this.holding) {
      // Someone else's write under a newer term: our copy must stop now, not at the next renewal.
      if (held.owner !== this.opts.nodeId && held.term > this.term) void this.serial(() => this.lose('taken'));
      return;
    }
    if (entry.revision !== this.revision) {
      this.revision = entry.revision;
      this.since = this.now();
    }
    // Released (or gone): claim now. Held: look again the moment this revision's lease runs out.
    this.schedule(held.owner === null ? 0 : this.untilExpiry());
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.serial(() => this.step()).finally(() => this.schedule(this.pollMs())), ms);
    this.timer.unref();
  }

  /**
   * Holder: its renewal cadence. Contender: the moment the revision it saw runs out, or a slow
   * fallback poll, whichever is sooner (the watch re-arms the timer on every change anyway).
   */
  private pollMs(): number {
    if (this.holding) return Math.max(20, Math.round(this.leaseMs / 3));
    const fallback = Math.round(this.leaseMs / 2);
    return this.revision === 0 ? fallback : Math.min(fallback, this.untilExpiry());
  }

  private untilExpiry(): number {
    return Math.max(0, this.leaseMs - (this.now() - this.since)) + 1;
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    this.busy = this.busy.then(fn).catch(() => undefined);
    return this.busy;
  }

  private async step(): Promise<void> {
    if (this.closed) return;
    if (this.holding) return this.renew();
    // The watch's copy saves a round trip at the moment of takeover; a stale copy only loses the compare-and-set.
    const entry = this.latest ?? (await this.kv.get(this.opts.name));
    if (!entry || entry.operation !== 'PUT') return this.claim(undefined, 1);
    const held = parse(entry);
    if (entry.revision !== this.revision) {
      this.revision = entry.revision;
      this.since = this.now();
    }
    if (held.owner === null || this.now() - this.since >= this.leaseMs) await this.claim(entry, held.term + 1);
  }

  private async claim(entry: KvEntry | undefined, term: number): Promise<void> {
    const sentAt = this.now();
    const value = JSON.stringify({ owner: this.opts.nodeId, term } satisfies Holding);
    let revision: number;
    try {
      revision = entry ? await this.kv.update(this.opts.name, value, entry.revision) : await this.kv.create(this.opts.name, value);
    } catch {
      this.latest = undefined; // another contender won the compare-and-set (or our copy was stale): read it next time
      return;
    }
    this.revision = revision;
    this.since = sentAt;
    this.term = term;
    this.holding = true;
    this.arm();
    await this.opts.onAcquired(term);
  }

  private async renew(): Promise<void> {
    if (!this.valid()) return this.lose('expired');
    const sentAt = this.now();
    try {
      this.revision = await this.kv.update(this.opts.name, JSON.stringify({ owner: this.opts.nodeId, term: this.term } satisfies Holding), this.revision);
    } catch (err) {
      // The revision moved: someone holds it now. Any other failure leaves the lease to expire.
      if (isWrongRevision(err)) await this.lose('taken');
      return;
    }
    if (!this.holding) return;
    if (sentAt - this.since >= this.leaseMs - this.marginMs) return this.lose('expired');
    this.since = sentAt;
    this.arm();
  }

  /** Fires when the lease runs out unrenewed, so the copy stops even if no renewal gets through. */
  private arm(): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => void this.serial(async () => (this.holding && !this.valid() ? this.lose('expired') : undefined)), this.leaseMs - this.marginMs - (this.now() - this.since));
    this.watchdog.unref();
  }

  private async lose(why: 'expired' | 'taken' | 'released'): Promise<void> {
    if (!this.holding) return;
    this.holding = false;
    clearTimeout(this.watchdog);
    this.since = this.now();
    await this.opts.onLost(this.term, why);
  }
}

function parse(entry: KvEntry): Holding {
  try {
    const h = entry.json<Holding>();
    return { owner: typeof h.owner === 'string' ? h.owner : null, term: Number.isInteger(h.term) ? h.term : 0 };
  } catch {
    return { owner: null, term: 0 };
  }
}

function isWrongRevision(err: unknown): boolean {
  const text = String((err as { message?: string })?.message ?? err);
  return /wrong last sequence|10071/i.test(text);
}
