import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { describeError } from './errors.js';
import type { Logger } from './logger.js';
import { EVENT_PREFIX } from './nats-names.js';
import { topicMatches, type Listener, type Transport } from './transport.js';

/** Topic families: system.*, component.*, health.*, api.*, data.*, security.* */
export interface BusEvent<P = unknown> {
  topic: string;
  payload: P;
  at: number;
}

export type EventHandler<P = unknown> = (event: BusEvent<P>) => void | Promise<void>;

export interface SubscribeOptions {
  /** Higher runs first. Default 0. */
  priority?: number;
  /** How long one handler may take before the bus moves on. Default 1000 ms. */
  timeoutMs?: number;
}

interface Subscription {
  pattern: string;
  handler: EventHandler;
  priority: number;
  timeoutMs: number;
  seq: number;
}

export interface EventBusOptions {
  historySize?: number;
  defaultTimeoutMs?: number;
  /** Stamps events and bounds handlers; the actor system passes its own. */
  clock?: Clock;
}

const BUS_PREFIX = EVENT_PREFIX;

/**
 * Topic pub/sub for the whole node, and across nodes when the transport is NATS.
 * Handlers run in priority order; each is bounded by its own timeout, and a handler
 * that throws or hangs is logged and skipped, never stalling or breaking the rest.
 */
export class EventBus {
  private subs: Subscription[] = [];
  private seq = 0;
  private readonly history: BusEvent[] = [];
  private readonly historySize: number;
  private readonly defaultTimeoutMs: number;
  private readonly wire: Listener;
  private chain: Promise<void> = Promise.resolve();
  private readonly clock: Clock;

  constructor(
    private readonly transport: Transport,
    private readonly log: Logger,
    opts: EventBusOptions = {},
  ) {
    this.historySize = opts.historySize ?? 1_000;
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? 1_000;
    this.clock = opts.clock ?? systemClock;
    this.wire = transport.subscribe(BUS_PREFIX + '>', (topic, data) => this.deliver(topic.slice(BUS_PREFIX.length), data));
  }

  on<P = unknown>(pattern: string, handler: EventHandler<P>, opts: SubscribeOptions = {}): () => void {
    const sub: Subscription = {
      pattern,
      handler: handler as EventHandler,
      priority: opts.priority ?? 0,
      timeoutMs: opts.timeoutMs ?? this.defaultTimeoutMs,
      seq: this.seq++,
    };
    // After every subscription of the same or a higher priority (a node subscribes thousands: one per source, no re-sort).
    let at = this.subs.length;
    while (at > 0 && this.subs[at - 1]!.priority < sub.priority) at--;
    this.subs = [...this.subs.slice(0, at), sub, ...this.subs.slice(at)];
    return () => this.off(handler as EventHandler);
  }

  off(handler: EventHandler): void {
    this.subs = this.subs.filter((s) => s.handler !== handler);
  }

  /** Resolves with the next event matching the pattern (and predicate, if given). */
  once<P = unknown>(pattern: string, predicate: (event: BusEvent<P>) => boolean = () => true): Promise<BusEvent<P>> {
    return new Promise((resolve) => {
      const off = this.on<P>(pattern, (event) => {
        if (!predicate(event)) return;
        off();
        resolve(event);
      }, { priority: Number.MAX_SAFE_INTEGER });
    });
  }

  emit(topic: string, payload: unknown = null): void {
    this.transport.publish(BUS_PREFIX + topic, payload);
  }

  /** Emits to this process only: for events every node observes for itself (a database's own change feed). */
  emitLocal(topic: string, payload: unknown = null): void {
    queueMicrotask(() => this.deliver(topic, payload));
  }

  /** The most recent events, oldest first, optionally only those matching a pattern. */
  recent(pattern = '>', limit = this.historySize): BusEvent[] {
    const matching = this.history.filter((e) => topicMatches(pattern, e.topic));
    return matching.slice(Math.max(0, matching.length - limit));
  }

  /** Resolves once subscriptions are in effect on every node (before emitting to a fresh peer). */
  ready(): Promise<void> {
    return this.transport.flush();
  }

  /** Resolves once every event emitted so far in this process has been handled. */
  async settled(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    await this.chain;
  }

  async close(): Promise<void> {
    this.subs = [];
    await this.wire.close();
  }

  private deliver(topic: string, payload: unknown): void {
    const event: BusEvent = { topic, payload, at: this.clock.now() };
    this.history.push(event);
    if (this.history.length > this.historySize) this.history.shift();
    const subs = this.subs.filter((s) => topicMatches(s.pattern, topic));
    if (subs.length === 0) return;
    // Events are handled one at a time, in emit order, so handlers see a consistent sequence.
    this.chain = this.chain.then(() => this.run(subs, event));
  }

  private async run(subs: Subscription[], event: BusEvent): Promise<void> {
    for (const sub of subs) {
      let timer: TimerHandle | undefined;
      try {
        const result = sub.handler(event);
        if (result instanceof Promise) {
          await Promise.race([
            result,
            new Promise<void>((resolve) => {
              timer = this.clock.setTimeout(() => {
                this.log.warn('event handler timed out', { topic: event.topic, timeoutMs: sub.timeoutMs });
                resolve();
              }, sub.timeoutMs);
            }),
          ]);
        }
      } catch (err) {
        this.log.warn('event handler failed', { topic: event.topic, error: describeError(err) });
      } finally {
        if (timer) this.clock.clearTimeout(timer);
      }
    }
  }
}
