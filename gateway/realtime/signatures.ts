/**
 * Pusher's HMAC-SHA256 signatures, both ways: channel subscriptions
 * (`key:hex(hmac(secret, socket_id:channel[:channel_data]))`) and HTTP API requests
 * (`METHOD\npath\nsorted query`). Every comparison is constant-time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { MoboError } from '../../runtime/index.js';

export interface AppCredentials {
  key: string;
  secret: string;
}

export function hmacHex(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('hex');
}

/** Constant-time equality of two strings (hashed first, so their lengths never leak). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export function md5Hex(body: string | Buffer): string {
  return createHash('md5').update(body).digest('hex');
}

function channelString(socketId: string, channel: string, channelData?: string): string {
  return channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
}

/** What the auth endpoint returns: `auth` (and `channel_data` for presence) to pass to pusher:subscribe. */
export function signChannel(app: AppCredentials, socketId: string, channel: string, channelData?: string): string {
  return `${app.key}:${hmacHex(app.secret, channelString(socketId, channel, channelData))}`;
}

export function channelAuthValid(app: AppCredentials, auth: unknown, socketId: string, channel: string, channelData?: string): boolean {
  return typeof auth === 'string' && safeEqual(auth, signChannel(app, socketId, channel, channelData));
}

/** The string an HTTP API request signs: the query sorted by key, auth_signature left out, values as sent. */
function requestString(method: string, path: string, params: Record<string, string>): string {
  const query = Object.keys(params)
    .filter((k) => k !== 'auth_signature')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  return `${method.toUpperCase()}\n${path}\n${query}`;
}

/** Signs a request as the `pusher` library does; returns the query string to send (connector mode). */
export function signRequest(app: AppCredentials, method: string, path: string, body: string | undefined, nowMs: number, extra: Record<string, string> = {}): string {
  const params: Record<string, string> = { ...extra, auth_key: app.key, auth_timestamp: String(Math.floor(nowMs / 1000)), auth_version: '1.0' };
  if (body !== undefined) params.body_md5 = md5Hex(body);
  const signature = hmacHex(app.secret, requestString(method, path, params));
  return [...Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(v)}`), `auth_signature=${signature}`].join('&');
}

export interface SignedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Buffer;
}

/**
 * Checks an HTTP API request against the app: the key, a fresh timestamp, the body's MD5
 * and the signature. Throws WS_SIGNATURE_INVALID or WS_TIMESTAMP_EXPIRED.
 */
export function verifyRequest(app: AppCredentials, req: SignedRequest, nowMs: number, skewSeconds: number): void {
  const params: Record<string, string> = {};
  for (const [k, v] of req.query) params[k.toLowerCase()] = v;
  const bad = (reason: string) => new MoboError('WS_SIGNATURE_INVALID', undefined, { details: { reason } });
  if (!params.auth_key || !safeEqual(params.auth_key, app.key)) throw bad('auth_key');
  const timestamp = Number(params.auth_timestamp);
  if (!Number.isFinite(timestamp) || Math.abs(nowMs / 1000 - timestamp) > skewSeconds) {
    throw new MoboError('WS_TIMESTAMP_EXPIRED', undefined, { details: { skewSeconds } });
  }
  if (req.body.length > 0 && !safeEqual(params.body_md5 ?? '', md5Hex(req.body))) throw bad('body_md5');
  const expected = hmacHex(app.secret, requestString(req.method, req.path, params));
  if (!safeEqual(params.auth_signature ?? '', expected)) throw bad('auth_signature');
}
