/**
 * A bounded JetStream stream that keeps the event-bus frames published on some subjects
 * (Sentinel's `security.>`): every node writes to the bus as usual, the server keeps one copy
 * of each event (no second publish), bounded by count and age, and any node reads all of
 * them back, newest first. Its own connection, as kv-lease.ts.
 */
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DEFAULT_REPLICAS, natsServers } from '../runtime/index.js';

export interface EventStreamOptions {
  servers: string;
  /** Replicas of the stream when this creates it (runtime/nats-servers.ts). */
  replicas?: number;
  /** The stream's name, e.g. `MOBO_SECURITY_<cluster>`. */
  stream: string;
  /** The wire subject the events are published on, with `>` (`mobo.<cluster>.t.ev.security.>`). */
  subject: string;
  /** What precedes the topic in a subject (`mobo.<cluster>.t.ev.`): stripped when read back. */
  topicPrefix: string;
  maxMsgs: number;
  maxAgeMs: number;
}

export interface StreamedEvent {
  seq: number;
  at: number;
  topic: string;
  payload: Record<string, unknown>;
}

export interface StreamQuery {
  /** A full topic (`security.threat`) or undefined for every one. */
  topic?: string | undefined;
  /** Only events at or after this time (ms since epoch). */
  since?: number | undefined;
  limit: number;
}

const MS_NS = 1_000_000;
/** How long a read waits for the server when it has nothing (more) to deliver. */
const READ_EXPIRES_MS = 1_000;

export class EventStream {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly opts: EventStreamOptions,
  ) {}

  static async open(opts: EventStreamOptions): Promise<EventStream> {
    const nc = await connect({ servers: natsServers(opts.servers), name: `mobo-stream-${opts.stream}`, maxReconnectAttempts: -1 });
    try {
      const jsm = await jetstreamManager(nc);
      const config = { name: opts.stream, subjects: [opts.subject], max_msgs: opts.maxMsgs, max_age: opts.maxAgeMs * MS_NS, num_replicas: opts.replicas ?? DEFAULT_REPLICAS };
      // Every node opens it; the first creates it, the others (and a restart) bring its limits up to date.
      await jsm.streams.info(opts.stream).then(
        () => jsm.streams.update(opts.stream, { max_msgs: config.max_msgs, max_age: config.max_age }),
        () => jsm.streams.add(config),
      );
      return new EventStream(nc, jetstream(nc), opts);
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  /** The newest `limit` events matching, newest first. */
  async query(q: StreamQuery): Promise<StreamedEvent[]> {
    const jsm = await this.js.jetstreamManager();
    const subject = q.topic === undefined ? this.opts.subject : this.opts.topicPrefix + q.topic;
    const info = await jsm.streams.info(this.opts.stream, { subjects_filter: subject });
    const matching = Object.values(info.state.subjects ?? {}).reduce((a, n) => a + n, 0);
    if (matching === 0) return [];
    const consumer = await this.js.consumers.get(this.opts.stream, {
      filter_subjects: subject,
      ...(q.since === undefined ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(q.since).toISOString() }),
    });
    const kept: StreamedEvent[] = [];
    const messages = await consumer.fetch({ max_messages: matching, expires: READ_EXPIRES_MS });
    for await (const m of messages) {
      const frame = m.json<{ data?: Record<string, unknown> }>();
      kept.push({ seq: m.seq, at: Math.floor(m.info.timestampNanos / MS_NS), topic: m.subject.slice(this.opts.topicPrefix.length), payload: frame.data ?? {} });
      if (kept.length > q.limit) kept.shift();
      if (m.info.pending === 0) break;
    }
    return kept.reverse();
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}
