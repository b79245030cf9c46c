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

const isString = (v: unknown): v is string => typeof v === 'string';

/**
 * Parses an envelope that arrived over a wire; a malformed one is MESSAGE_INVALID.
 * A hand-written check rather than a schema library: it runs on every remote message.
 */
export function parseEnvelope(data: unknown): Envelope {
  const e = data as Partial<Envelope> | null;
  const ok =
    e !== null &&
    typeof e === 'object' &&
    isString(e.id) &&
    e.id.length > 0 &&
    isString(e.type) &&
    e.type.length > 0 &&
    isString(e.to) &&
    ADDRESS.test(e.to) &&
    isString(e.traceId) &&
    (e.from === undefined || isString(e.from)) &&
    (e.deadline === undefined || typeof e.deadline === 'number') &&
    'payload' in e;
  if (!ok) throw new MoboError('MESSAGE_INVALID', 'Malformed envelope');
  return e as Envelope;
}

/** Parses a reply from a wire; anything else is MESSAGE_INVALID. */
export function parseReply(data: unknown): Reply {
  const r = data as { ok?: unknown; value?: unknown; error?: Partial<ErrorBody> } | null;
  if (r !== null && typeof r === 'object') {
    if (r.ok === true) return { ok: true, value: r.value };
    if (r.ok === false && r.error && isString(r.error.code) && isString(r.error.message)) return { ok: false, error: r.error as ErrorBody };
  }
  throw new MoboError('MESSAGE_INVALID', 'Malformed reply');
}

export function replyValue(reply: Reply): unknown {
  if (reply.ok) return reply.value;
  throw MoboError.fromBody(reply.error as ErrorBody);
}
