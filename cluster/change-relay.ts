/**
 * The cluster's change relay: a source's log reader runs as a cluster singleton (singleton.ts,
 * lease `cdc-<key hash>`) and publishes every captured change into the source's JetStream stream
 * `MOBO_CDC_<key hash>_<cluster>` (subject `mobo.<cluster>.t.cdc.<key hash>`), with the change's
 * position as Nats-Msg-Id; the reader acknowledges a transaction to Postgres only once JetStream
 * has acknowledged every one of its messages. Every node (the holder too) consumes the stream
 * from its tail with an ordered consumer (replaced when its NATS server dies, stream-follower.ts)
 * and drops positions it has seen.
 *
 * Failover: the holder dies or is cut off, its lease expires, another node takes the lease and
 * starts the reader, which resumes from the slot's last acknowledged transaction. What the old
 * holder published but had not acknowledged comes again: the new run skips what is at or before
 * the stream's tail, JetStream drops a repeated message id, and consumers drop positions they
 * have seen. Publishes are chained (PublishChain): a change is appended only right after the
 * one before it, so a lost publish cannot leave a hole behind later changes. So no change is
 * lost and none is delivered twice. A holder that loses its lease stops its reader first.
 */
import { createHash } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DEFAULT_REPLICAS, natsNames, natsServers, PositionFilter, ReaderLoop, type CaptureReader, type CapturedChange, type ChangeRelay, type NatsNames, type RelayAttachment } from '../runtime/index.js';
import { SingletonLease } from './singleton.js';
import { PublishChain } from './publish-chain.js';
import { followStream, type StreamFollower } from './stream-follower.js';

export interface JetStreamRelayOptions {
  servers: string;
  /** Replicas of its streams and leases when this creates them (runtime/nats-servers.ts). */
  replicas?: number;
  clusterId: string;
  nodeId: string;
  /** The reader's singleton lease (default singleton.ts's). */
  leaseMs?: number;
  /** How long the stream keeps changes (default an hour): consumers read its tail, so this only bounds it. */
  maxAgeMs?: number;
  /** False: this node only consumes, it never runs a reader (default true). */
  runReaders?: boolean;
  /** A reader's stream failed (it restarts, resuming from the last acknowledged transaction). */
  onError?(key: string, err: unknown): void;
  /** This node started (true) or stopped (false) running `key`'s reader. */
  onHolding?(key: string, holding: boolean): void;
}

const MS_NS = 1_000_000;
/** Tries of a stream's info-or-create, each up to nats.js's request timeout. */
const ENSURE_ATTEMPTS = 3;
const DEFAULT_MAX_AGE_MS = 3_600_000;
/** JetStream drops a message id seen within this window; consumers drop older repeats by position. */
const DUPLICATE_WINDOW_MS = 120_000;
/** A follower resumes where this process's previous one stopped (its last message or its close) only this soon after (a supervised restart); later, from the tail. */
const RESUME_WITHIN_MS = 60_000;

/** Where this process's followers of each stream stopped (by cluster, node and stream), with the stream's creation time. */
const followed = new Map<string, { created: string; seq: number; pos: string; at: number }>();

export class JetStreamChangeRelay implements ChangeRelay {
  readonly kind = 'jetstream';
  readonly durable = true;
  private readonly names: NatsNames;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly opts: JetStreamRelayOptions,
  ) {
    this.names = natsNames(opts.clusterId);
  }

  static async open(opts: JetStreamRelayOptions): Promise<JetStreamChangeRelay> {
    const nc = await connect({ servers: natsServers(opts.servers), name: `mobo-cdc-${opts.nodeId}`, maxReconnectAttempts: -1 });
    try {
      return new JetStreamChangeRelay(nc, jetstream(nc), await jetstreamManager(nc), opts);
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  /** The stream, subject and lease of one capture key. */
  where(key: string): { stream: string; subject: string; lease: string } {
    const id = createHash('sha256').update(key).digest('hex').slice(0, 16);
    return { stream: this.names.stream(`cdc_${id}`), subject: `${this.names.topic}cdc.${id}`, lease: `cdc-${id}` };
  }

  async attach(key: string, reader: () => CaptureReader, deliver: (change: CapturedChange) => void): Promise<RelayAttachment> {
    const { stream, subject, lease: leaseName } = this.where(key);
    const { created } = await this.ensureStream(stream, subject);
    const messages = await this.follow(stream, created, deliver);
    if (this.opts.runReaders === false) return { role: () => 'follower', close: async () => void (await messages.close()) };
    let loop: ReaderLoop | undefined;
    let lease: SingletonLease;
    try {
      lease = await SingletonLease.open({
        servers: this.opts.servers,
        ...(this.opts.replicas === undefined ? {} : { replicas: this.opts.replicas }),
        clusterId: this.opts.clusterId,
        nodeId: this.opts.nodeId,
        name: leaseName,
        ...(this.opts.leaseMs === undefined ? {} : { leaseMs: this.opts.leaseMs }),
        onAcquired: () => {
          // Each run of the reader publishes through a chain of its own, started from the stream's tail.
          let chain: PublishChain | undefined;
          const run = (): CaptureReader => {
            chain = new PublishChain(this.js, this.jsm, stream, subject);
            return reader();
          };
          loop = new ReaderLoop(run, (changes) => chain!.publish(changes), (err) => this.opts.onError?.(key, err));
          this.opts.onHolding?.(key, true);
        },
        onLost: async () => {
          const stopping = loop;
          loop = undefined;
          await stopping?.stop();
          if (stopping) this.opts.onHolding?.(key, false);
        },
      });
    } catch (err) {
      await messages.close();
      throw err;
    }
    return {
      role: () => (loop ? 'holder' : 'follower'),
      close: async () => {
        await lease.close();
        await messages.close();
      },
    };
  }

  async drop(key: string): Promise<void> {
    await this.jsm.streams.delete(this.where(key).stream).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.close();
  }

  /**
   * Every node opens it; the first creates it. Tried a few times: on a NATS cluster a JetStream
   * request can go unanswered while a stream just made (or moved) elects its leader.
   */
  private async ensureStream(stream: string, subject: string): Promise<StreamInfo> {
    const config = { name: stream, subjects: [subject], max_age: (this.opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS) * MS_NS, duplicate_window: DUPLICATE_WINDOW_MS * MS_NS, num_replicas: this.opts.replicas ?? DEFAULT_REPLICAS };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.jsm.streams.info(stream).catch(() => this.jsm.streams.add(config).catch(() => this.jsm.streams.info(stream)));
      } catch (err) {
        if (attempt >= ENSURE_ATTEMPTS) throw err;
      }
    }
  }


  /**
   * This node's reading of the stream, each position once, across the loss of NATS servers
   * (stream-follower.ts): from its tail, or, when a follower of this process read the same
   * stream moments ago (its connection actor was killed and restarted: the node's realtime
   * subscribers stayed connected), from the message after the last one that follower delivered.
   */
  private async follow(stream: string, created: string, deliver: (change: CapturedChange) => void): Promise<StreamFollower> {
    const where = `${this.opts.clusterId}/${this.opts.nodeId}/${stream}`;
    const before = followed.get(where);
    const resume = before && before.created === created && Date.now() - before.at < RESUME_WITHIN_MS ? before : undefined;
    const seen = new PositionFilter(resume?.pos);
    // Kept up to date per message, not only at close: a killed actor may never close its follower.
    const progress = { created, seq: resume?.seq ?? 0, pos: resume?.pos ?? '', at: Date.now() };
    followed.set(where, progress);
    const follower = await followStream(
      this.js,
      stream,
      (m) => {
        progress.seq = m.seq;
        progress.at = Date.now();
        let change: CapturedChange;
        try {
          change = m.json<CapturedChange>();
        } catch {
          return;
        }
        if (seen.fresh(change.pos)) deliver(change);
        progress.pos = seen.highest;
      },
      resume ? { afterSeq: resume.seq } : {},
    );
    return {
      close: async () => {
        await follower.close();
        progress.at = Date.now();
      },
    };
  }
}
