import type { HttpResponse } from './http-types.js';
import { MoboError, toMoboError } from '../runtime/index.js';

/** `{data, meta}`: the success body of every /v1 response. */
export function ok(requestId: string, data: unknown, status = 200): HttpResponse {
  return { status, body: { data, meta: { request_id: requestId, timestamp: new Date().toISOString() } } };
}

/** `{error: {code, message, details}, meta}`: every failure, with the catalogue's status. Never a stack. */
export function fail(requestId: string, err: unknown): HttpResponse {
  const error = toMoboError(err);
  return withRetryAfter({ status: error.status, body: { error: error.toBody(), meta: { request_id: requestId, timestamp: new Date().toISOString() } } }, error);
}

/** A refusal that passes (busy, unavailable, rate limited) says when to come back: `details.retryAfterSeconds` as Retry-After. */
export function withRetryAfter(response: HttpResponse, error: MoboError): HttpResponse {
  const retry = error.details?.retryAfterSeconds;
  if (typeof retry === 'number') response.headers = { ...response.headers, 'retry-after': String(retry) };
  return response;
}

export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return null;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new MoboError('HTTP_BAD_JSON', undefined, { cause: err });
  }
}
