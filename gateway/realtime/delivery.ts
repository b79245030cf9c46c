/**
 * This node's side of fan-out: uWS topics per channel (one native publish reaches every
 * subscribed socket), the sockets by Pusher socket id, and channel occupancy counts.
 */
import type { TopicPublisher } from '../websocket-types.js';
import { isSubscribedTo, type Connection } from './connection.js';

/** uWS topic of an app's channel. Pusher channel names never contain ':'. */
export const channelTopic = (appId: string, channel: string): string => `${appId}:${channel}`;

export class LocalDelivery {
  private readonly sockets = new Map<string, Connection>();
  /** `appId` → channel → sockets subscribed on this node. */
  private readonly counts = new Map<string, Map<string, number>>();

  constructor(private readonly topics: TopicPublisher) {}

  get connections(): number {
    return this.sockets.size;
  }

  /** This node's connections (for re-checking their subscriptions). */
  all(): IterableIterator<Connection> {
    return this.sockets.values();
  }

  add(conn: Connection): void {
    this.sockets.set(conn.socketId, conn);
  }

  remove(socketId: string): void {
    this.sockets.delete(socketId);
  }

  subscribed(appId: string, channel: string): void {
    let app = this.counts.get(appId);
    if (!app) this.counts.set(appId, (app = new Map()));
    app.set(channel, (app.get(channel) ?? 0) + 1);
  }

  unsubscribed(appId: string, channel: string): void {
    const app = this.counts.get(appId);
    const n = (app?.get(channel) ?? 0) - 1;
    if (n > 0) app!.set(channel, n);
    else app?.delete(channel);
  }

  /** Subscriptions per occupied channel of an app on this node (optionally one channel, or a name prefix). */
  occupancy(appId: string, filter: { channel?: string; prefix?: string } = {}): Record<string, number> {
    const out: Record<string, number> = {};
    const app = this.counts.get(appId);
    if (!app) return out;
    if (filter.channel !== undefined) {
      const n = app.get(filter.channel);
      if (n) out[filter.channel] = n;
      return out;
    }
    for (const [channel, n] of app) if (!filter.prefix || channel.startsWith(filter.prefix)) out[channel] = n;
    return out;
  }

  /**
   * Publishes to a topic. `exclude` (a socket id) leaves one local socket out, as Pusher does
   * for the sender of a client event or an HTTP publish's `socket_id`: publishing through
   * that socket is uWS's own way of skipping it.
   */
  publish(topic: string, text: string, exclude?: string): void {
    const conn = exclude === undefined ? undefined : this.sockets.get(exclude);
    if (!conn || !isSubscribedTo(conn, topic)) return this.topics.publish(topic, text);
    conn.socket.publish(topic, text);
  }
}
