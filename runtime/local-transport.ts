import type { Envelope } from './envelope.js';
import { MoboError } from './errors.js';
import { askTimeout, withTimeout } from './timeout.js';
import { topicMatches, type InboundHandler, type Listener, type ListenOptions, type TopicHandler, type Transport } from './transport.js';

interface Endpoint {
  queue: string | undefined;
  handlers: InboundHandler[];
  next: number;
}

interface DurableQueue {
  pending: Envelope[];
  handler: InboundHandler | undefined;
  delivering: boolean;
}

const REDELIVERY_MS = { first: 10, max: 1_000 };

/**
 * Everything several in-process transports share: addresses, topic subscriptions and
 * durable queues. One per process by default; tests make pairs on one hub.
 */
export class LocalHub {
  readonly endpoints = new Map<string, Endpoint>();
  readonly topics = new Set<{ pattern: string; handler: TopicHandler }>();
  readonly durable = new Map<string, DurableQueue>();
}

/**
 * The in-process transport: no serialization, no network. A tell is a function call
 * into the addressee's mailbox; a full mailbox throws back to the sender.
 */
export class LocalTransport implements Transport {
  readonly kind = 'local' as const;
  private closed = false;

  constructor(readonly hub: LocalHub = new LocalHub()) {}

  has(address: string): boolean {
    return this.hub.endpoints.has(address);
  }

  async listen(address: string, handler: InboundHandler, opts: ListenOptions = {}): Promise<Listener> {
    this.assertOpen();
    const existing = this.hub.endpoints.get(address);
    if (existing && (existing.queue === undefined || existing.queue !== opts.queue)) {
      throw new MoboError('ACTOR_NAME_TAKEN', undefined, { details: { name: address } });
    }
    const endpoint = existing ?? { queue: opts.queue, handlers: [], next: 0 };
    endpoint.handlers.push(handler);
    this.hub.endpoints.set(address, endpoint);
    return {
      address,
      close: async () => {
        endpoint.handlers = endpoint.handlers.filter((h) => h !== handler);
        if (endpoint.handlers.length === 0 && this.hub.endpoints.get(address) === endpoint) this.hub.endpoints.delete(address);
      },
    };
  }

  tell(env: Envelope): void {
    this.assertOpen();
    const handler = this.pick(env.to);
    if (!handler) return;
    const result = handler(env, false);
    if (result instanceof Promise) result.catch(() => undefined);
  }

  ask(env: Envelope, timeoutMs: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new MoboError('TRANSPORT_CLOSED'));
    const handler = this.pick(env.to);
    if (!handler) return Promise.reject(new MoboError('ACTOR_NOT_FOUND', `No actor at ${env.to}`, { details: { actor: env.to } }));
    let result: unknown;
    try {
      result = handler(env, true);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!(result instanceof Promise)) return Promise.resolve(result);
    return withTimeout(result, timeoutMs, () => askTimeout(env.to, timeoutMs));
  }

  publish(topic: string, data: unknown): void {
    this.assertOpen();
    for (const sub of this.hub.topics) {
      if (topicMatches(sub.pattern, topic)) queueMicrotask(() => sub.handler(topic, data));
    }
  }

  subscribe(pattern: string, handler: TopicHandler): Listener {
    this.assertOpen();
    const sub = { pattern, handler };
    this.hub.topics.add(sub);
    return { address: pattern, close: async () => void this.hub.topics.delete(sub) };
  }

  async tellDurable(env: Envelope): Promise<void> {
    this.assertOpen();
    const queue = this.durableQueue(env.to);
    queue.pending.push(env);
    this.deliverDurable(queue, 0);
  }

  async listenDurable(address: string, handler: InboundHandler): Promise<Listener> {
    this.assertOpen();
    const queue = this.durableQueue(address);
    if (queue.handler) throw new MoboError('ACTOR_NAME_TAKEN', undefined, { details: { name: address } });
    queue.handler = handler;
    this.deliverDurable(queue, 0);
    return {
      address,
      close: async () => {
        if (queue.handler === handler) queue.handler = undefined;
      },
    };
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
  }

  private pick(address: string): InboundHandler | undefined {
    const endpoint = this.hub.endpoints.get(address);
    if (!endpoint || endpoint.handlers.length === 0) return undefined;
    if (endpoint.handlers.length === 1) return endpoint.handlers[0];
    endpoint.next = (endpoint.next + 1) % endpoint.handlers.length;
    return endpoint.handlers[endpoint.next];
  }

  private durableQueue(address: string): DurableQueue {
    let queue = this.hub.durable.get(address);
    if (!queue) {
      queue = { pending: [], handler: undefined, delivering: false };
      this.hub.durable.set(address, queue);
    }
    return queue;
  }

  /** Delivers one at a time, in order; a failed delivery is retried with growing delay. */
  private deliverDurable(queue: DurableQueue, attempt: number): void {
    const handler = queue.handler;
    const env = queue.pending[0];
    if (queue.delivering || !handler || !env || this.closed) return;
    queue.delivering = true;
    Promise.resolve()
      .then(() => handler(env, false))
      .then(
        () => {
          queue.pending.shift();
          queue.delivering = false;
          this.deliverDurable(queue, 0);
        },
        () => {
          queue.delivering = false;
          const delay = Math.min(REDELIVERY_MS.max, REDELIVERY_MS.first * 2 ** attempt);
          setTimeout(() => this.deliverDurable(queue, attempt + 1), delay).unref();
        },
      );
  }

  private assertOpen(): void {
    if (this.closed) throw new MoboError('TRANSPORT_CLOSED');
  }
}
