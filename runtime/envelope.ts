import { z } from 'zod';
import { MoboError, type ErrorBody } from './errors.js';
import { nextId, newTraceId } from './ids.js';

/** One message between actors. JSON on the wire; passed by reference in-process. */
export interface Envelope<P = unknown> {
  id: string;
  type: string;
  /** Sender's address, when the sender is an actor. */
  from?: string;
  to: string;
  traceId: string;
  /** Epoch ms after which the message is no longer worth handling. */
  deadline?: number;
  payload: P;
}

/** What an ask resolves to on the wire. */
export type Reply = { ok: true; value: unknown } | { ok: false; error: ErrorBody };

export interface SendOptions {
  from?: string;
  traceId?: string;
  deadline?: number;
}

const ADDRESS = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export function assertAddress(address: string): void {
  if (!ADDRESS.test(address) || address.length > 200) {
    throw new MoboError('ACTOR_BAD_NAME', undefined, { details: { name: address } });
  }
}

export function createEnvelope<P>(to: string, type: string, payload: P, opts: SendOptions = {}): Envelope<P> {
  const env: Envelope<P> = { id: nextId(), type, to, traceId: opts.traceId ?? newTraceId(), payload };
  if (opts.from !== undefined) env.from = opts.from;
  if (opts.deadline !== undefined) env.deadline = opts.deadline;
  return env;
}

export const envelopeSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  from: z.string().optional(),
  to: z.string().regex(ADDRESS),
  traceId: z.string().min(1),
  deadline: z.number().optional(),
  payload: z.unknown(),
});

const errorBodySchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.record(z.unknown()).optional(),
});

export const replySchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: errorBodySchema }),
]);

/** Parses an envelope that arrived over a wire; a malformed one is MESSAGE_INVALID. */
export function parseEnvelope(data: unknown): Envelope {
  const parsed = envelopeSchema.safeParse(data);
  if (!parsed.success) throw new MoboError('MESSAGE_INVALID', 'Malformed envelope', { details: { issues: parsed.error.issues.length } });
  return parsed.data as Envelope;
}

export function replyValue(reply: Reply): unknown {
  if (reply.ok) return reply.value;
  throw MoboError.fromBody(reply.error as ErrorBody);
}
