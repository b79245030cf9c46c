/**
 * The Pusher Channels protocol (v7) as data: channel kinds and names, the frames this
 * server sends, and the `pusher:error` code of a MoboError (kept in the error catalogue).
 */
import { randomInt } from 'node:crypto';
import { type ErrorCode, MoboError, pusherCodeOf } from '../../runtime/index.js';

export type ChannelKind = 'public' | 'private' | 'presence';

/** Pusher's channel name alphabet and length limit. */
const CHANNEL_NAME = /^[A-Za-z0-9_\-=@,.;]{1,164}$/;

export function channelKind(channel: string): ChannelKind {
  if (channel.startsWith('presence-')) return 'presence';
  if (channel.startsWith('private-')) return 'private';
  return 'public';
}

export function assertChannelName(channel: unknown): asserts channel is string {
  if (typeof channel !== 'string' || !CHANNEL_NAME.test(channel) || channel.startsWith('#')) {
    throw new MoboError('WS_CHANNEL_INVALID', undefined, { details: { channel: typeof channel === 'string' ? channel.slice(0, 200) : null } });
  }
}

/** A frame as Pusher sends it: `data` is a JSON string (or the publisher's string as given). */
export function frame(event: string, data: unknown, channel?: string): string {
  const text = typeof data === 'string' ? data : JSON.stringify(data ?? {});
  return channel === undefined ? JSON.stringify({ event, data: text }) : JSON.stringify({ event, channel, data: text });
}

/** `pusher:error` keeps `data` an object (pusher-js reads `data.code` directly). */
export function errorFrame(err: MoboError): string {
  return JSON.stringify({ event: 'pusher:error', data: { code: pusherCode(err.code), message: err.message } });
}

/** Soketi's refusal of one subscription: pusher-js emits it on the channel. */
export function subscriptionErrorFrame(channel: string, err: MoboError): string {
  return JSON.stringify({ event: 'pusher:subscription_error', channel, data: { type: 'AuthError', error: err.message, status: err.status } });
}

/** The `pusher:error` code of a failure: 4000–4099 refuse, 4100–4199 back off, null for "carry on" (from the catalogue). */
export function pusherCode(code: ErrorCode): number | null {
  return pusherCodeOf(code);
}

/** One client message, as pusher-js sends it. */
export interface ClientMessage {
  event: string;
  channel?: string;
  data: unknown;
}

export function parseClientMessage(text: string): ClientMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MoboError('WS_BAD_MESSAGE', 'The message is not JSON');
  }
  if (value === null || typeof value !== 'object' || typeof (value as { event?: unknown }).event !== 'string') {
    throw new MoboError('WS_BAD_MESSAGE', 'The message has no "event"');
  }
  const { event, channel, data } = value as { event: string; channel?: unknown; data?: unknown };
  const message: ClientMessage = { event, data };
  if (typeof channel === 'string') message.channel = channel;
  return message;
}

/** `data` of a subscribe message: object or its JSON string. */
export function dataObject(data: unknown): Record<string, unknown> {
  if (typeof data === 'string') {
    try {
      return dataObject(JSON.parse(data));
    } catch {
      return {};
    }
  }
  return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
}

/** `<random>.<random>` as Pusher's socket ids are: unique across a cluster without coordination. */
export function newSocketId(): string {
  const part = () => randomInt(1, 2 ** 31);
  return `${part()}.${part()}`;
}

export const SOCKET_ID = /^\d+\.\d+$/;
