import type { Principal } from '../../actors/auth/principal.js';
import type { Socket } from '../websocket-types.js';
import type { RealtimeApp } from './apps.js';

/** One subscription of a connection: the uWS topic it listens on, and what to undo on leave. */
export interface Subscription {
  channel: string;
  topic: string;
  /** Presence channels: the member this connection is. */
  userId?: string;
  /** Database channels: the row-filter group to leave. */
  release?: () => void;
  /**
   * Who the auth endpoint signed this subscription for: re-checked whenever MagAuth changes
   * (revocation.ts). Absent when a server signed it with the app secret itself: a holder of
   * the secret is a server, trusted as such.
   */
  principal?: Principal;
  /** Database channels: the row filter granted, as JSON ('null' for none), to tell when a grant changed. */
  granted?: string;
}

/** A Pusher connection's state on this node. */
export interface Connection {
  socketId: string;
  app: RealtimeApp;
  socket: Socket;
  subscriptions: Map<string, Subscription>;
  /** Token bucket for client messages. */
  tokens: number;
  refilledAt: number;
}

/** Takes one token; false when the connection is over its message rate. */
export function takeToken(conn: Connection, now: number, perSecond: number, burst: number): boolean {
  conn.tokens = Math.min(burst, conn.tokens + ((now - conn.refilledAt) / 1000) * perSecond);
  conn.refilledAt = now;
  if (conn.tokens < 1) return false;
  conn.tokens -= 1;
  return true;
}

export function isSubscribedTo(conn: Connection, topic: string): boolean {
  for (const sub of conn.subscriptions.values()) if (sub.topic === topic) return true;
  return false;
}
