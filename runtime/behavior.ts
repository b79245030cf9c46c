import type { z } from 'zod';
import type { Envelope } from './envelope.js';
import { MoboError } from './errors.js';
import type { ExitReason, HealthReport } from './lifecycle.js';
import type { ActorContext } from './context.js';

/**
 * What an actor does. A fresh Behavior is made for every (re)start, so state lives in
 * it and a restart begins clean. `receive` returning a value answers an ask; throwing a
 * MoboError answers with that error and the actor carries on; throwing anything else is
 * a crash, reported to the supervisor.
 */
export interface Behavior {
  /** The power-on self test: the actor counts as started only once this resolves. */
  start?(ctx: ActorContext): void | Promise<void>;
  receive(msg: Envelope, ctx: ActorContext): unknown;
  health?(ctx: ActorContext): HealthReport | Promise<HealthReport>;
  /** Release resources. Called on shutdown, and best-effort after a crash. */
  stop?(ctx: ActorContext, reason: ExitReason): void | Promise<void>;
}

export type BehaviorFactory = () => Behavior;

export interface Handler<S extends z.ZodTypeAny> {
  schema: S;
  handle(payload: z.infer<S>, ctx: ActorContext, msg: Envelope): unknown;
}

/** Declares a handler with its payload schema, checked at the actor's edge. */
export function on<S extends z.ZodTypeAny>(schema: S, handle: Handler<S>['handle']): Handler<S> {
  return { schema, handle };
}

export type Handlers = Record<string, Handler<z.ZodTypeAny>>;

/** Routes a message to its handler by type, validating the payload first. */
export function dispatch(handlers: Handlers, msg: Envelope, ctx: ActorContext): unknown {
  const handler = Object.hasOwn(handlers, msg.type) ? handlers[msg.type] : undefined;
  if (!handler) {
    throw new MoboError('MESSAGE_UNKNOWN', `${ctx.name} does not handle "${msg.type}"`, {
      details: { actor: ctx.name, type: msg.type, accepts: Object.keys(handlers) },
    });
  }
  const parsed = handler.schema.safeParse(msg.payload);
  if (!parsed.success) {
    throw new MoboError('MESSAGE_INVALID', `Invalid payload for "${msg.type}"`, {
      details: { type: msg.type, issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  return handler.handle(parsed.data, ctx, msg);
}
