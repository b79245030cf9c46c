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
  if (!parsed.success) throw invalidPayload(msg, parsed.error.issues);
  return handler.handle(parsed.data, ctx, msg);
}

/** Fields whose values are never echoed back in an error. */
const SECRET_FIELD = /pass|secret|token|key|credential/i;

/**
 * MESSAGE_INVALID naming the field, the value given and what is allowed:
 * `Invalid name "Bad Name!": must start with a letter; lowercase letters, digits, _ and - only`.
 */
function invalidPayload(msg: Envelope, issues: z.ZodIssue[]): MoboError {
  const first = issues[0]!;
  const field = first.path.join('.') || 'payload';
  let value: unknown = msg.payload;
  for (const part of first.path) value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[part] : undefined;
  const secret = first.path.some((p) => SECRET_FIELD.test(String(p)));
  const shown = value === undefined ? 'missing' : secret ? '(hidden)' : JSON.stringify(value).slice(0, 100);
  const allowed = 'options' in first && Array.isArray(first.options) ? { allowed: first.options } : {};
  return new MoboError('MESSAGE_INVALID', `Invalid ${field} ${shown}: ${first.message}`, {
    details: { type: msg.type, field, ...(secret || value === undefined || typeof value === 'object' ? {} : { value }), ...allowed, issues: issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
  });
}
