import type { Bucket } from '../../tools/index.js';
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
  /** Cancels the timer that ends the subscription when its principal's JWT expires. */
  stopExpiry?: () => void;
  /** Database channels: the row filter granted, as JSON ('null' for none), to tell when a grant changed. */
  granted?: string;
}

/** A Pusher connection's state on this node. */
export interface Connection {
  socketId: string;
  app: RealtimeApp;
  socket: Socket;
  subscriptions: Map<string, Subscription>;
  /** When the socket opened (ms since the epoch, the node's clock). */
  connectedAt: number;
  /** Token bucket for client messages (tools/token-bucket.ts). */
  bucket: Bucket;
}

export function isSubscribedTo(conn: Connection, topic: string): boolean {
  for (const sub of conn.subscriptions.values()) if (sub.topic === topic) return true;
  return false;
}
