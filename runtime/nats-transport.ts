/**
 * The NATS transport: the only module that imports nats. A subject per actor address
 * (`mobo.<cluster>.a.<address>`), request/reply for ask, queue groups for worker pools, core
 * pub/sub for topics (`mobo.<cluster>.t.<topic>`), and a JetStream stream
 * (`MOBO_DURABLE_<cluster>`, subjects `mobo.<cluster>.d.<address>`) for messages that must
 * survive a crash. Every name carries the cluster's (nats-names.ts): clusters sharing a
 * server are apart.
 * Addressees in this process are reached through the embedded LocalTransport first.
 */
import { withoutCredentials } from './redact.js';
import { connect, type NatsConnection, type Msg, type Subscription } from '@nats-io/transport-node';
import { createInbox } from '@nats-io/nats-core';
import { AckPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import { parseEnvelope, parseReply, replyValue, type Envelope, type Reply } from './envelope.js';
import { MoboError, toMoboError } from './errors.js';
import { nextId } from './ids.js';
import { LocalTransport } from './local-transport.js';
import { natsNames, type NatsNames } from './nats-names.js';
import { DEFAULT_REPLICAS, natsServers } from './nats-servers.js';
import type { InboundHandler, Listener, ListenOptions, TopicHandler, Transport } from './transport.js';

const SECOND_NS = 1_000_000_000;
const DURABLE_ACK_WAIT_NS = 30 * SECOND_NS;
/** A durable listener gone this long (no process consuming) is removed by the server. */
const DURABLE_INACTIVE_NS = 7 * 24 * 3600 * SECOND_NS;
/** Undelivered durable messages older than this are dropped. */
const DURABLE_MAX_AGE_NS = 7 * 24 * 3600 * SECOND_NS;
const REDELIVER_DELAY_MS = 200;

const encoder = new TextEncoder();
const encode = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));

interface TopicFrame {
  origin: string;
  data: unknown;
}

/** An ask waiting for its reply on this transport's inbox. */
interface PendingAsk {
  to: string;
  timeoutMs: number;
  resolve(value: unknown): void;
  reject(err: unknown): void;
  timer: ReturnType<typeof setTimeout>;
}

export interface NatsTransportOptions {
  servers: string | string[];
  name?: string;
  /** The cluster whose subjects this transport uses (default `default`). */
  cluster?: string;
  /** Replicas of the durable stream it creates (nats-servers.ts). */
  replicas?: number;
}

export class NatsTransport implements Transport {
  readonly kind = 'nats' as const;
  /** Tells this process's topic frames from other processes'. */
  private readonly origin = nextId();
  private readonly local = new LocalTransport();
  private js: JetStreamClient | undefined;
  private streamReady: Promise<void> | undefined;
  /**
   * Asks share one inbox subscription (`<inbox>.<n>` per ask), as nats.js's own request
   * mux does, without what it adds per request (a request object, a deferred, and an Error
   * built and dropped on every success): a fifth of an ask's CPU.
   */
  private inbox: string | undefined;
  private readonly pending = new Map<number, PendingAsk>();
  private nextAsk = 0;

  private constructor(
    private readonly nc: NatsConnection,
    readonly names: NatsNames,
    private readonly replicas: number,
  ) {}

  /** The node's NATS connection, for cluster modules that share it (membership, singleton leases). */
  get connection(): NatsConnection {
    return this.nc;
  }

  static async connect(opts: NatsTransportOptions): Promise<NatsTransport> {
    const names = natsNames(opts.cluster);
    try {
      // noAsyncTraces: nats.js would build an Error per request for async stack traces; every
      // failure becomes a MoboError here anyway, and it cost a fifth of a request's CPU.
      const nc = await connect({ servers: natsServers(opts.servers), name: opts.name ?? 'mobo', maxReconnectAttempts: -1, noAsyncTraces: true });
      return new NatsTransport(nc, names, opts.replicas ?? DEFAULT_REPLICAS);
    } catch (err) {
      throw new MoboError('TRANSPORT_UNAVAILABLE', 'Could not connect to NATS', { details: { servers: withoutCredentials(String(opts.servers)) }, cause: err });
    }
  }

  async listen(address: string, handler: InboundHandler, opts: ListenOptions = {}): Promise<Listener> {
    const local = await this.local.listen(address, handler, opts);
    const sub = this.nc.subscribe(this.names.actor + address, {
      ...(opts.queue === undefined ? {} : { queue: opts.queue }),
      callback: (err, msg) => {
        if (!err) this.receive(msg, handler);
      },
    });
    await this.nc.flush();
    return {
      address,
      close: async () => {
        // Drain, not unsubscribe: a request the server routed here before it dropped the subscription
        // still reaches the handler (a stopping actor answers ACTOR_STOPPED) instead of being dropped
        // by the client, which would leave its asker waiting out its whole timeout.
        if (!this.nc.isClosed() && !sub.isClosed()) await sub.drain().catch(() => undefined);
        await local.close();
        // Once close resolves the server has dropped the subscription: no peer's request can still be routed here.
        if (!this.nc.isClosed()) await this.nc.flush();
      },
    };
  }

  tell(env: Envelope): void {
    if (this.local.has(env.to)) return this.local.tell(env);
    this.assertOpen();
    this.nc.publish(this.names.actor + env.to, encode(env));
  }

  ask(env: Envelope, timeoutMs: number): Promise<unknown> {
    if (this.local.has(env.to)) return this.local.ask(env, timeoutMs);
    this.assertOpen();
    const inbox = this.inbox ?? this.openInbox();
    const id = ++this.nextAsk;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new MoboError('ACTOR_ASK_TIMEOUT', `No answer from ${env.to} within ${timeoutMs} ms`, { details: { actor: env.to, timeoutMs } }));
      }, timeoutMs);
      this.pending.set(id, { to: env.to, timeoutMs, resolve, reject, timer });
      try {
        this.nc.publish(this.names.actor + env.to, encode(env), { reply: inbox + id });
      } catch (err) {
        this.settle(id)?.reject(new MoboError('TRANSPORT_UNAVAILABLE', undefined, { cause: err }));
      }
    });
  }

  publish(topic: string, data: unknown): void {
    this.local.publish(topic, data);
    this.assertOpen();
    const frame: TopicFrame = { origin: this.origin, data };
    this.nc.publish(this.names.topic + topic, encode(frame));
  }

  subscribe(pattern: string, handler: TopicHandler): Listener {
    const local = this.local.subscribe(pattern, handler);
    const sub: Subscription = this.nc.subscribe(this.names.topic + pattern, {
      callback: (err, msg) => {
        if (err) return;
        const frame = safeJson(msg) as TopicFrame | undefined;
        if (!frame || frame.origin === this.origin) return;
        handler(msg.subject.slice(this.names.topic.length), frame.data);
      },
    });
    return {
      address: pattern,
      close: async () => {
        sub.unsubscribe();
        await local.close();
      },
    };
  }

  async tellDurable(env: Envelope): Promise<void> {
    const js = await this.durableStream();
    try {
      await js.publish(this.names.durable + env.to, encode(env), { msgID: env.id });
    } catch (err) {
      throw new MoboError('TRANSPORT_UNAVAILABLE', 'JetStream did not acknowledge the message', { cause: err });
    }
  }

  async listenDurable(address: string, handler: InboundHandler): Promise<Listener> {
    const js = await this.durableStream();
    const jsm = await jetstreamManager(this.nc);
    const durable = address.replace(/\./g, '_');
    await jsm.consumers.add(this.names.durableStream, {
      durable_name: durable,
      filter_subject: this.names.durable + address,
      ack_policy: AckPolicy.Explicit,
      ack_wait: DURABLE_ACK_WAIT_NS,
      max_ack_pending: 1,
      inactive_threshold: DURABLE_INACTIVE_NS,
    });
    const consumer = await js.consumers.get(this.names.durableStream, durable);
    const messages: ConsumerMessages = await consumer.consume();
    void (async () => {
      for await (const m of messages) {
        try {
          await handler(parseEnvelope(m.json()), false);
          m.ack();
        } catch {
          m.nak(REDELIVER_DELAY_MS);
        }
      }
    })();
    return { address, close: async () => void (await messages.close()) };
  }

  flush(): Promise<void> {
    return this.nc.flush();
  }

  async close(): Promise<void> {
    await this.local.close();
    if (!this.nc.isClosed()) await this.nc.drain();
  }

  private receive(msg: Msg, handler: InboundHandler): void {
    const wantsReply = Boolean(msg.reply);
    const respond = (reply: Reply): void => {
      if (wantsReply) msg.respond(encode(reply));
    };
    const ok = (value: unknown): void => respond({ ok: true, value: value === undefined ? null : value });
    const fail = (err: unknown): void => respond({ ok: false, error: toMoboError(err).toBody() });
    let result: unknown;
    try {
      // Called synchronously (no microtask hops); a thrown error or a rejection both answer as errors.
      result = handler(parseEnvelope(msg.json()), wantsReply);
    } catch (err) {
      return fail(err);
    }
    if (result instanceof Promise) result.then(ok, fail);
    else ok(result);
  }

  /** Subscribes the asks' inbox (once); the SUB reaches the server before the first ask's PUB. */
  private openInbox(): string {
    const inbox = `${createInbox()}.`;
    this.nc.subscribe(`${inbox}*`, {
      callback: (err, msg) => {
        if (!err) this.onReply(msg, inbox);
      },
    });
    // A closed connection answers every ask still waiting, as nats.js's requests do.
    void this.nc.closed().then(() => {
      for (const id of [...this.pending.keys()]) this.settle(id)?.reject(new MoboError('TRANSPORT_CLOSED'));
    });
    this.inbox = inbox;
    return inbox;
  }

  private onReply(msg: Msg, inbox: string): void {
    const ask = this.settle(Number(msg.subject.slice(inbox.length)));
    if (!ask) return; // timed out already
    // The server answers an ask nobody listens to with an empty 503 status message.
    if (msg.data.length === 0 && msg.headers?.code === 503) return ask.reject(new MoboError('ACTOR_NOT_FOUND', `No actor at ${ask.to}`, { details: { actor: ask.to } }));
    try {
      ask.resolve(replyValue(parseReply(msg.json())));
    } catch (err) {
      ask.reject(err);
    }
  }

  private settle(id: number): PendingAsk | undefined {
    const ask = this.pending.get(id);
    if (!ask) return undefined;
    this.pending.delete(id);
    clearTimeout(ask.timer);
    return ask;
  }

  private durableStream(): Promise<JetStreamClient> {
    this.streamReady ??= (async () => {
      const jsm = await jetstreamManager(this.nc);
      const config = { name: this.names.durableStream, subjects: [this.names.durable + '>'], max_age: DURABLE_MAX_AGE_NS, num_replicas: this.replicas };
      try {
        await jsm.streams.info(this.names.durableStream);
      } catch {
        await jsm.streams.add(config);
      }
      this.js = jetstream(this.nc);
    })();
    return this.streamReady.then(() => this.js!);
  }

  private assertOpen(): void {
    if (this.nc.isClosed()) throw new MoboError('TRANSPORT_CLOSED');
  }
}

function safeJson(msg: Msg): unknown {
  try {
    return msg.json();
  } catch {
    return undefined;
  }
}
