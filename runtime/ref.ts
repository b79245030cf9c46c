import type { Clock } from './clock.js';
import { createEnvelope, type SendOptions } from './envelope.js';
import type { Transport } from './transport.js';

export const DEFAULT_ASK_TIMEOUT_MS = 5_000;

export interface AskOptions {
  timeoutMs?: number;
  traceId?: string;
  from?: string;
}

/** A location-transparent handle on an actor: the same calls reach it here or on another node. */
export class ActorRef {
  constructor(
    readonly address: string,
    private readonly transport: Transport,
    /** The system's clock: an ask's deadline is stamped on it, and the receiver checks it on the same one. */
    private readonly clock: Clock,
    private readonly sender?: string,
  ) {}

  tell(type: string, payload: unknown = null, opts: SendOptions = {}): void {
    this.transport.tell(createEnvelope(this.address, type, payload, this.withSender(opts)));
  }

  ask<R = unknown>(type: string, payload: unknown = null, opts: AskOptions = {}): Promise<R> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_ASK_TIMEOUT_MS;
    const env = createEnvelope(this.address, type, payload, { ...this.withSender(opts), deadline: this.clock.now() + timeoutMs });
    return this.transport.ask(env, timeoutMs) as Promise<R>;
  }

  /** Delivered at least once, even if the actor or its process crashes first. */
  tellDurable(type: string, payload: unknown = null, opts: SendOptions = {}): Promise<void> {
    return this.transport.tellDurable(createEnvelope(this.address, type, payload, this.withSender(opts)));
  }

  private withSender(opts: SendOptions): SendOptions {
    const out: SendOptions = {};
    const from = opts.from ?? this.sender;
    if (from !== undefined) out.from = from;
    if (opts.traceId !== undefined) out.traceId = opts.traceId;
    return out;
  }
}
