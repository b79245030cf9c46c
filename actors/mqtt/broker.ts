/**
 * The one file that imports aedes. It turns aedes' callback hooks into promise hooks and
 * puts the MQTT 3.1.1 rules aedes is looser about in front of them:
 * - an empty client id with CleanSession=0 is refused with CONNACK 2 [MQTT-3.1.3-8];
 * - a refused subscription is granted 0x80 in the SUBACK, never a dropped connection;
 * - a hook that fails with an unexpected error refuses (CONNACK 3 / closed connection), never lets through.
 * Clients of other protocol versions (MQTT 5) get CONNACK 1 from aedes and are closed.
 */
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { Aedes, type AedesOptions, type AuthenticateError, type Client, type PublishPacket } from 'aedes';

/** What the rest of MagMQTT sees of a connected client. */
export interface BrokerClient {
  readonly id: string;
  readonly clean: boolean;
  readonly conn: Duplex;
  close(): void;
}

export interface Message {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
}

/** CONNACK return codes of MQTT 3.1.1. */
export type ConnackCode = 2 | 3 | 4 | 5;

export class ConnectRefused extends Error {
  constructor(
    readonly returnCode: ConnackCode,
    message: string,
  ) {
    super(message);
  }
}

export interface BrokerHooks {
  /** Resolves when the client may connect; throws ConnectRefused with its CONNACK code otherwise. */
  authenticate(client: BrokerClient, username: string | undefined, password: Buffer | undefined): Promise<void>;
  /** Returns (or resolves) when the publish may go ahead (a QoS 1 PUBACK is sent only after); throws to close the connection. `client` is null for a will of a dead node. */
  authorizePublish(client: BrokerClient | null, message: Message): void | Promise<void>;
  /** The granted QoS, or null to refuse the filter (SUBACK 0x80). */
  authorizeSubscribe(client: BrokerClient, filter: string, qos: 0 | 1 | 2): Promise<0 | 1 | 2 | null>;
  /** Synchronous (aedes calls it per delivery): false withholds the message from this client. */
  forward(client: BrokerClient, message: Message): boolean;
}

export interface BrokerEvents {
  ready(client: BrokerClient): void;
  disconnected(client: BrokerClient): void;
  published(message: Message, client: BrokerClient | null): void;
  /** A client's PUBACK of a QoS 1 message (aedes hands over the message only for persistent sessions). */
  acknowledged(client: BrokerClient): void;
  error(client: BrokerClient | null, error: Error): void;
}

export interface BrokerOptions {
  id: string;
  /** An mqemitter (NATS across nodes) and an aedes persistence; defaults are in-memory. */
  mq?: unknown;
  persistence?: unknown;
  queueLimit: number;
  maxInflight: number;
  keepaliveMaxSeconds: number;
  heartbeatMs?: number;
  /**
   * With a shared persistence (a node can die and its sessions live on): queue a client's QoS 1
   * message for the persistent sessions, and store it when retained, before the PUBACK rather
   * than just after it (aedes' order), so a PUBACK promises the message survives this node.
   */
  persistBeforeAck?: boolean;
}

export interface Broker {
  readonly id: string;
  /** Serves one connection (TCP, TLS or a WebSocket stream). */
  handle(stream: Duplex, req?: IncomingMessage): void;
  publish(message: Message): Promise<void>;
  connected(): number;
  /** Topics holding a retained message in the broker's store (not `$SYS`). */
  retainedTopics(): Promise<string[]>;
  client(id: string): BrokerClient | undefined;
  clients(): BrokerClient[];
  close(): Promise<void>;
}

const SYS_TOPIC = /^\$SYS\//;

/**
 * aedes writes every packet on its own (mqtt-packet corks a socket for one packet and
 * uncorks it on the next tick), so a subscriber that is sent 100 messages in one loop turn
 * costs 100 `writev` system calls. Holding one more cork until the turn's immediates have
 * run sends what a turn produced in one: the bytes and their order are the same, only the
 * system calls are fewer (the larger share of a broker's CPU under fan-out).
 */
function coalesceWrites(stream: Duplex): Duplex {
  if (typeof stream.cork !== 'function') return stream;
  const write = stream.write;
  let held = false;
  const release = (): void => {
    held = false;
    if (!stream.destroyed) stream.uncork();
  };
  stream.write = function (this: Duplex, ...args: Parameters<Duplex['write']>): boolean {
    if (!held && !stream.destroyed) {
      held = true;
      stream.cork();
      setImmediate(release);
    }
    return write.apply(this, args);
  } as Duplex['write'];
  // What was written before aedes closes a connection still leaves, as it would have uncorked.
  const destroy = stream.destroy;
  stream.destroy = function (this: Duplex, ...args: Parameters<Duplex['destroy']>): Duplex {
    if (held && !stream.destroyed) release();
    return destroy.apply(this, args);
  } as Duplex['destroy'];
  return stream;
}

/** The part of an aedes persistence (promise API) that queueing before the PUBACK uses. */
interface Persistence {
  subscriptionsByTopic(topic: string): Promise<Array<{ clientId: string; topic: string }>>;
  outgoingEnqueueCombi(subs: Array<{ clientId: string; topic: string }>, packet: object): Promise<void>;
  storeRetained(packet: object): Promise<void>;
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<unknown>;
}

/**
 * The persistence aedes is given, with one change: the offline queueing of a message this
 * side already did before the PUBACK is not done twice (the message is known by the broker
 * id and counter it was given early, which aedes keeps when it wraps the packet).
 */
function persistFirst(inner: Persistence) {
  const early = new Set<number>();
  const persistence = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'outgoingEnqueueCombi') {
        return (subs: Array<{ clientId: string; topic: string }>, packet: { brokerCounter?: number }) =>
          packet.brokerCounter !== undefined && early.delete(packet.brokerCounter) ? Promise.resolve() : target.outgoingEnqueueCombi(subs, packet);
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    persistence,
    async before(aedes: Aedes, packet: PublishPacket): Promise<void> {
      const own = packet as PublishPacket & { brokerId?: string; brokerCounter?: number };
      const counters = aedes as unknown as { id: string; counter: number };
      own.brokerId = counters.id;
      own.brokerCounter = ++counters.counter;
      // As aedes-packet wraps it for the queues: a broker message id is given at delivery.
      const queued = { cmd: 'publish', brokerId: own.brokerId, brokerCounter: own.brokerCounter, topic: packet.topic, payload: packet.payload, qos: packet.qos, retain: packet.retain, dup: false, messageId: undefined };
      if (packet.retain) await inner.storeRetained(queued);
      const subs = await inner.subscriptionsByTopic(packet.topic);
      if (subs.length === 0) return;
      await inner.outgoingEnqueueCombi(subs, queued);
      early.add(own.brokerCounter);
      // A publish aedes never went on with (its connection closed first) must not leave its mark forever.
      if (early.size > 100_000) early.delete(early.values().next().value!);
    },
  };
}

export async function startBroker(options: BrokerOptions, hooks: BrokerHooks, events: Partial<BrokerEvents> = {}): Promise<Broker> {
  /**
   * Clients refused at authentication with CONNACK 2, as Mosquitto does: an empty client id
   * with CleanSession=0, and a keepalive over `keepaliveMaxSeconds` (or none, when it is set).
   * aedes answers the latter with CONNACK 6, which MQTT 3.1.1 does not have.
   */
  const refusedIds = new WeakMap<Client, string>();
  const refusal = (code: ConnackCode, message: string): AuthenticateError => Object.assign(new Error(message), { returnCode: code as number }) as AuthenticateError;

  const aedesOptions: AedesOptions = {
    id: options.id,
    queueLimit: options.queueLimit,
    maxInflightInbound: options.maxInflight,
    ...(options.heartbeatMs === undefined ? {} : { heartbeatInterval: options.heartbeatMs }),
    ...(options.mq === undefined ? {} : { mq: options.mq }),
    ...(options.persistence === undefined ? {} : { persistence: options.persistence }),
    preConnect(client, packet, done) {
      const cap = options.keepaliveMaxSeconds;
      if (packet.clientId === '' && packet.clean === false) refusedIds.set(client, 'a client without an id must set CleanSession');
      else if (cap > 0 && (!packet.keepalive || packet.keepalive > cap)) refusedIds.set(client, `keepalive must be 1 to ${cap} seconds (mqtt.keepaliveMaxSeconds)`);
      done(null, true);
    },
    authenticate(client, username, password, done) {
      const refused = refusedIds.get(client);
      if (refused !== undefined) return done(refusal(2, refused), false);
      hooks.authenticate(client as unknown as BrokerClient, username, password).then(
        () => done(null, true),
        (err: unknown) => done(err instanceof ConnectRefused ? refusal(err.returnCode, err.message) : refusal(3, 'server unavailable'), false),
      );
    },
    authorizePublish(client, packet, done) {
      const refused = (err: unknown) => done(err instanceof Error ? err : new Error('publish refused'));
      const persisted = () => (store && client && packet.qos === 1 ? store.before(aedes, packet).then(() => done(null), refused) : done(null));
      let pending: void | Promise<void>;
      try {
        pending = hooks.authorizePublish(client as unknown as BrokerClient | null, packet as unknown as Message);
      } catch (err) {
        return refused(err);
      }
      // Most publishes need no I/O to be authorized: no promise turn for them.
      if (pending instanceof Promise) pending.then(persisted, refused);
      else persisted();
    },
    authorizeSubscribe(client, sub, done) {
      // $SYS topics from aedes itself (heartbeats, client lists) name other projects' clients: never to devices.
      hooks.authorizeSubscribe(client as unknown as BrokerClient, sub.topic, sub.qos as 0 | 1 | 2).then(
        (qos) => done(null, qos === null ? null : { ...sub, qos }),
        () => done(null, null),
      );
    },
    authorizeForward(client, packet) {
      if (SYS_TOPIC.test(packet.topic) && packet.topic.startsWith(`$SYS/${options.id}/`)) return null;
      return hooks.forward(client as unknown as BrokerClient, packet as unknown as Message) ? packet : null;
    },
  };

  const store = options.persistBeforeAck && options.persistence ? persistFirst(options.persistence as Persistence) : undefined;
  if (store) aedesOptions.persistence = store.persistence;
  const aedes = new Aedes(aedesOptions);
  await aedes.listen();
  const wrap = (c: Client | null): BrokerClient | null => c as unknown as BrokerClient | null;
  aedes.on('clientReady', (c) => events.ready?.(wrap(c)!));
  aedes.on('clientDisconnect', (c) => events.disconnected?.(wrap(c)!));
  aedes.on('publish', (packet, c) => {
    if (!packet.topic.startsWith('$SYS/')) events.published?.(packet as unknown as Message, wrap(c));
  });
  aedes.on('ack', (_packet, c) => {
    events.acknowledged?.(wrap(c)!);
  });
  aedes.on('clientError', (c, err) => events.error?.(wrap(c), err));
  aedes.on('connectionError', (c, err) => events.error?.(wrap(c), err));

  const clientsById = (): Record<string, Client> => (aedes as unknown as { clients: Record<string, Client> }).clients;
  return {
    id: aedes.id,
    handle: (stream, req) => void aedes.handle(coalesceWrites(stream), req),
    publish: (message) =>
      new Promise<void>((resolve, reject) => aedes.publish({ cmd: 'publish', dup: false, ...message } as PublishPacket, (err) => (err ? reject(err) : resolve()))),
    connected: () => aedes.connectedClients,
    retainedTopics: async () => {
      const topics: string[] = [];
      for await (const packet of (aedes as unknown as { persistence: Persistence }).persistence.createRetainedStreamCombi(['#'])) topics.push((packet as { topic: string }).topic);
      return topics;
    },
    client: (id) => wrap(clientsById()[id] ?? null) ?? undefined,
    clients: () => Object.values(clientsById()).map((c) => wrap(c)!),
    close: () => new Promise<void>((resolve) => aedes.close(() => resolve())),
  };
}
