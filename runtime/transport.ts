import type { Envelope } from './envelope.js';

/**
 * Receives messages for one address. The returned value (or promise) is the reply to an
 * ask; a thrown MoboError becomes an error reply with its code. For a tell the result
 * is ignored. A synchronous throw from a local tell reaches the sender (backpressure).
 */
export type InboundHandler = (env: Envelope, wantsReply: boolean) => unknown;

export interface Listener {
  readonly address: string;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Listeners sharing a queue name at one address form a pool: each message goes to one of them. */
  queue?: string;
}

export type TopicHandler = (topic: string, data: unknown) => void;

/**
 * How messages move between actors. Two implementations with one contract (checked by
 * test/runtime/transport.conformance.ts): `LocalTransport` in-process, the embedded
 * default, and `NatsTransport` across processes and nodes. A message whose addressee
 * listens in the same process never leaves it, whichever transport carries the system.
 */
export interface Transport {
  readonly kind: 'local' | 'nats';
  /** Start receiving at an address (a NATS subject per address on the NATS transport). */
  listen(address: string, handler: InboundHandler, opts?: ListenOptions): Promise<Listener>;
  /** Fire and forget. An unknown address is dropped silently (as on NATS). */
  tell(env: Envelope): void;
  /** Request/reply. Rejects ACTOR_ASK_TIMEOUT after timeoutMs, ACTOR_NOT_FOUND if nobody listens. */
  ask(env: Envelope, timeoutMs: number): Promise<unknown>;
  /** Topic fan-out to every subscriber, in every process (event bus, realtime). */
  publish(topic: string, data: unknown): void;
  subscribe(pattern: string, handler: TopicHandler): Listener;
  /**
   * At-least-once delivery for messages that must survive a crash: kept until a durable
   * listener's handler resolves, redelivered if it throws or its process dies.
   */
  tellDurable(env: Envelope): Promise<void>;
  listenDurable(address: string, handler: InboundHandler): Promise<Listener>;
  /** Resolves once every subscription made so far is in effect everywhere (a server round trip on NATS). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** NATS-style subject matching: `*` is one token, `>` is one or more trailing tokens. */
export function topicMatches(pattern: string, topic: string): boolean {
  if (pattern === topic || pattern === '>') return true;
  // Token by token with indexes, not split(): every published event is matched against every subscription.
  let p = 0;
  let t = 0;
  while (p <= pattern.length) {
    if (t > topic.length) return false;
    const pEnd = tokenEnd(pattern, p);
    const tEnd = tokenEnd(topic, t);
    const width = pEnd - p;
    if (width === 1 && pattern.charCodeAt(p) === GREATER) return true;
    if (!(width === 1 && pattern.charCodeAt(p) === STAR) && !sameToken(pattern, p, topic, t, width, tEnd - t)) return false;
    p = pEnd + 1;
    t = tEnd + 1;
  }
  return t > topic.length;
}

const STAR = 42;
const GREATER = 62;

function tokenEnd(subject: string, from: number): number {
  const dot = subject.indexOf('.', from);
  return dot === -1 ? subject.length : dot;
}

function sameToken(a: string, aFrom: number, b: string, bFrom: number, aWidth: number, bWidth: number): boolean {
  if (aWidth !== bWidth) return false;
  for (let i = 0; i < aWidth; i++) if (a.charCodeAt(aFrom + i) !== b.charCodeAt(bFrom + i)) return false;
  return true;
}
