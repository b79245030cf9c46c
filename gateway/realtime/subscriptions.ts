import type { Principal } from '../../actors/auth/principal.js';
import { type Clock, MoboError } from '../../runtime/index.js';
import type { Connection, Subscription } from './connection.js';
import { parseDbChannel } from './db-channels.js';
import { channelTopic } from './delivery.js';
import { presenceKey, type RealtimeHub } from './hub.js';
import { assertChannelName, channelKind, dataObject, frame, subscriptionErrorFrame, type ClientMessage } from './protocol.js';
import { channelAuthValid } from './signatures.js';
import type { Filter } from '../../adapters/index.js';

export interface ChannelLimits {
  clientEvents: boolean;
  maxEventBytes: number;
  maxPresenceMembers: number;
}

const unauthorized = (reason: string) => new MoboError('WS_UNAUTHORIZED', undefined, { details: { reason } });

export function subscribe(hub: RealtimeHub, conn: Connection, data: unknown, limits: ChannelLimits, clock: Clock): void {
  const body = dataObject(data);
  const channel = body.channel;
  assertChannelName(channel);
  if (conn.subscriptions.has(channel)) return void conn.socket.send(frame('pusher_internal:subscription_succeeded', {}, channel));
  try {
    const sub = authorize(hub, conn, channel, body, limits, clock.now());
    conn.subscriptions.set(channel, sub);
    endAtExpiry(hub, conn, sub, clock);
    hub.delivery.subscribed(conn.app.id, channel);
    conn.socket.subscribe(sub.topic);
    const succeeded = sub.userId === undefined ? {} : { presence: hub.presence.members.snapshot(presenceKey(conn.app.id, channel)) };
    conn.socket.send(frame('pusher_internal:subscription_succeeded', succeeded, channel));
  } catch (err) {
    if (!(err instanceof MoboError)) throw err;
    conn.socket.send(subscriptionErrorFrame(channel, err));
  }
}

/** Checks the subscription and builds it; presence joins here (announcing a new member before this socket listens). */
function authorize(hub: RealtimeHub, conn: Connection, channel: string, body: Record<string, unknown>, limits: ChannelLimits, now: number): Subscription {
  const kind = channelKind(channel);
  const topic = channelTopic(conn.app.id, channel);
  if (kind === 'public') return { channel, topic };
  const channelData = typeof body.channel_data === 'string' ? body.channel_data : undefined;
  if (!channelAuthValid(conn.app, body.auth, conn.socketId, channel, channelData)) throw unauthorized('signature');
  const signed = channelData === undefined ? {} : dataObject(channelData);
  const principal = signedPrincipal(signed.principal, conn.app.project);
  if (principal?.expiresAt !== undefined && principal.expiresAt <= now) throw tokenExpired();
  const who = principal ? { principal } : {};
  const db = parseDbChannel(channel);
  if (db) {
    if (channelData === undefined) throw unauthorized('channel_data');
    const filter = signed.filter as Filter | undefined;
    const group = hub.db.join(conn.app.id, conn.app.project, db.source, db.table, filter);
    return { channel, topic: group.topic, release: group.release, granted: JSON.stringify(filter ?? null), ...who };
  }
  if (kind === 'private') return { channel, topic, ...who };
  const member = signed;
  const userId = typeof member.user_id === 'number' ? String(member.user_id) : member.user_id;
  if (typeof userId !== 'string' || userId.length === 0) throw unauthorized('user_id');
  const key = presenceKey(conn.app.id, channel);
  if (hub.presence.members.count(key) >= limits.maxPresenceMembers && !hub.presence.members.has(key, userId)) {
    throw new MoboError('WS_OVER_CAPACITY', 'The presence channel is full', { details: { maxMembers: limits.maxPresenceMembers } });
  }
  const change = hub.presence.join(key, userId, member.user_info ?? null);
  if (change) hub.announce([change]);
  return { channel, topic, userId, ...who };
}

/** The principal the auth endpoint signed into channel_data (the signature was checked: its shape is ours). */
function signedPrincipal(value: unknown, project: string): Principal | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const p = value as Record<string, unknown>;
  if ((p.kind !== 'user' && p.kind !== 'api_key' && p.kind !== 'service_account') || typeof p.subject !== 'string' || typeof p.role !== 'string') return undefined;
  return {
    kind: p.kind,
    subject: p.subject,
    role: p.role,
    project,
    ...(typeof p.keyId === 'string' ? { keyId: p.keyId } : {}),
    ...(typeof p.expiresAt === 'number' ? { expiresAt: p.expiresAt } : {}),
  };
}

const tokenExpired = () => new MoboError('AUTH_TOKEN_EXPIRED', 'The token this subscription was signed for has expired: log in again and subscribe again', { details: { reason: 'expired' } });

/** A subscription signed for a user JWT ends when the JWT expires (pusher:subscription_error, AUTH_TOKEN_EXPIRED). */
function endAtExpiry(hub: RealtimeHub, conn: Connection, sub: Subscription, clock: Clock): void {
  const expiresAt = sub.principal?.expiresAt;
  if (expiresAt === undefined) return;
  const timer = clock.setTimeout(() => {
    if (conn.subscriptions.get(sub.channel) === sub) revoke(hub, conn, sub.channel, tokenExpired());
  }, Math.max(0, expiresAt - clock.now()));
  sub.stopExpiry = () => clock.clearTimeout(timer);
}

/** Ends a subscription MagAuth no longer allows: the client hears pusher:subscription_error on the channel. */
export function revoke(hub: RealtimeHub, conn: Connection, channel: string, err: MoboError): void {
  if (!conn.subscriptions.has(channel)) return;
  leave(hub, conn, channel);
  conn.socket.send(subscriptionErrorFrame(channel, err));
}

export function unsubscribe(hub: RealtimeHub, conn: Connection, data: unknown): void {
  const channel = dataObject(data).channel;
  if (typeof channel === 'string') leave(hub, conn, channel);
}

/** Leaves every channel (the connection closed). */
export function leaveAll(hub: RealtimeHub, conn: Connection): void {
  for (const channel of [...conn.subscriptions.keys()]) leave(hub, conn, channel, false);
}

function leave(hub: RealtimeHub, conn: Connection, channel: string, open = true): void {
  const sub = conn.subscriptions.get(channel);
  if (!sub) return;
  conn.subscriptions.delete(channel);
  sub.stopExpiry?.();
  if (open) conn.socket.unsubscribe(sub.topic);
  hub.delivery.unsubscribed(conn.app.id, channel);
  sub.release?.();
  if (sub.userId === undefined) return;
  const change = hub.presence.leave(sub.topic, sub.userId);
  if (change) hub.announce([change]);
}

/** `client-*` events: on private and presence channels the connection is subscribed to, when the app allows them. */
export function clientEvent(hub: RealtimeHub, conn: Connection, msg: ClientMessage, limits: ChannelLimits): void {
  const channel = msg.channel;
  const sub = channel === undefined ? undefined : conn.subscriptions.get(channel);
  if (!limits.clientEvents || !sub || channelKind(sub.channel) === 'public' || parseDbChannel(sub.channel) || sub.channel.startsWith('private-encrypted-')) {
    throw new MoboError('WS_CLIENT_EVENTS_DISABLED', undefined, { details: { channel: channel ?? null } });
  }
  const data = typeof msg.data === 'string' ? msg.data : JSON.stringify(msg.data ?? {});
  if (Buffer.byteLength(data) > limits.maxEventBytes) throw new MoboError('WS_PAYLOAD_TOO_LARGE', undefined, { details: { limitBytes: limits.maxEventBytes } });
  const event = { appId: conn.app.id, channels: [sub.channel], event: msg.event, data, exclude: conn.socketId };
  hub.trigger(sub.userId === undefined ? event : { ...event, userId: sub.userId });
}
