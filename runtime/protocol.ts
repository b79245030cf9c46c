import type { z } from 'zod';
import { on, type Handler, type Handlers } from './behavior.js';
import type { ActorContext } from './context.js';
import type { Envelope } from './envelope.js';
import type { ActorRef, AskOptions } from './ref.js';

/** One message of a protocol: its payload schema, and (as a type only) what it answers. */
export interface MessageDef<S extends z.ZodTypeAny = z.ZodTypeAny, R = unknown> {
  payload: S;
  /** Never read at run time: it carries the reply type. Write `reply<T>()`. */
  reply: R;
}

export type Protocol = Record<string, MessageDef>;

/** The reply type marker of a message: `{ payload: schema, reply: reply<ApiKeyInfo[]>() }`. */
export function reply<R>(): R {
  return undefined as R;
}

/**
 * Declares an actor's message protocol: message name → payload schema → reply type. The
 * actor implements it with `implement` (each payload checked at its edge) and callers
 * get a typed client from `clientOf`, so neither side retypes the names by hand.
 */
export function defineProtocol<const P extends Protocol>(messages: P): P {
  return messages;
}

export type PayloadOf<M extends MessageDef> = z.input<M['payload']>;
export type ReplyOf<M extends MessageDef> = M['reply'];

/** A typed handle on an actor that speaks protocol P. */
export interface ProtocolClient<P extends Protocol> {
  readonly address: string;
  ask<K extends keyof P & string>(type: K, payload: PayloadOf<P[K]>, opts?: AskOptions): Promise<Awaited<ReplyOf<P[K]>>>;
  tell<K extends keyof P & string>(type: K, payload: PayloadOf<P[K]>): void;
}

export function clientOf<P extends Protocol>(_protocol: P, ref: ActorRef, defaults: AskOptions = {}): ProtocolClient<P> {
  return {
    address: ref.address,
    ask: (type, payload, opts) => ref.ask(type, payload, { ...defaults, ...opts }),
    tell: (type, payload) => ref.tell(type, payload),
  };
}

export type Implementation<P extends Protocol> = {
  [K in keyof P]: (payload: z.infer<P[K]['payload']>, ctx: ActorContext, msg: Envelope) => ReplyOf<P[K]> | Promise<Awaited<ReplyOf<P[K]>>>;
};

/** The handlers of an actor that speaks P, for `dispatch` (the reply types are checked here). */
export function implement<P extends Protocol>(protocol: P, impl: Implementation<P>): Handlers {
  const handlers: Record<string, Handler<z.ZodTypeAny>> = {};
  for (const type of Object.keys(protocol)) handlers[type] = on(protocol[type]!.payload, impl[type as keyof P] as Handler<z.ZodTypeAny>['handle']);
  return handlers;
}
