/**
 * The NATS names of one cluster. Nodes on one NATS server with the same cluster name
 * (`transport.cluster`) form one cluster; every subject, stream and bucket a cluster uses
 * carries that name, so two clusters sharing a server never hear each other's actors,
 * events, blocks or leases. Pure strings (no NATS client), for the transport and for the
 * cluster modules that open streams and buckets of their own.
 */
import { MoboError } from './errors.js';

export const DEFAULT_CLUSTER = 'default';

/** Topics of the event bus are published under this prefix of the transport's topics. */
export const EVENT_PREFIX = 'ev.';

export interface NatsNames {
  readonly cluster: string;
  /** `mobo.<cluster>.a.<address>`: an actor's mailbox. */
  readonly actor: string;
  /** `mobo.<cluster>.t.<topic>`: transport topics (the event bus under `ev.`). */
  readonly topic: string;
  /** `mobo.<cluster>.d.<address>`: durable messages, in the stream `durableStream`. */
  readonly durable: string;
  readonly durableStream: string;
  /** The wire subject of an event-bus topic or pattern (`security.>`). */
  event(topic: string): string;
  /** A JetStream stream of this cluster: `MOBO_<NAME>_<cluster>`. */
  stream(name: string): string;
  /** A JetStream KV bucket of this cluster: `mobo_<cluster>_<name>`. */
  bucket(name: string): string;
}

export function natsNames(cluster: string = DEFAULT_CLUSTER): NatsNames {
  if (!/^[A-Za-z0-9_-]+$/.test(cluster)) throw new MoboError('CONFIG_INVALID', 'transport.cluster: letters, digits, _ and - only', { details: { key: 'transport.cluster' } });
  const root = `mobo.${cluster}`;
  const topic = `${root}.t.`;
  return {
    cluster,
    actor: `${root}.a.`,
    topic,
    durable: `${root}.d.`,
    durableStream: `MOBO_DURABLE_${cluster}`,
    event: (t) => topic + EVENT_PREFIX + t,
    stream: (name) => `MOBO_${name.toUpperCase()}_${cluster}`,
    bucket: (name) => `mobo_${cluster}_${name}`,
  };
}
