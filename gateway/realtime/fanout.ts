/**
 * Events to channels, cluster-wide: one transport message per event (NATS in a cluster),
 * then on every node one uWS publish per channel. A node hears its own events over the
 * same path, so delivery is the same code everywhere.
 */
import type { ClusterLink, LinkMessage } from './cluster-link.js';
import { channelTopic, type LocalDelivery } from './delivery.js';
import { frame } from './protocol.js';

export interface ChannelEvent {
  appId: string;
  channels: string[];
  event: string;
  /** The event's data as Pusher carries it: a string (JSON or not). */
  data: string;
  /** A socket id to leave out (the sender). */
  exclude?: string;
  /** Presence client events carry the sender's user id. */
  userId?: string;
}

interface EventMessage extends LinkMessage {
  a: string;
  c: string[];
  e: string;
  d: string;
  x?: string;
  u?: string;
}

export class Fanout {
  constructor(
    private readonly link: ClusterLink,
    private readonly delivery: LocalDelivery,
  ) {
    link.on<EventMessage>('e', (m) => this.deliver(m), { ownToo: true });
  }

  publish(e: ChannelEvent): void {
    const msg: Omit<EventMessage, 'n'> = { a: e.appId, c: e.channels, e: e.event, d: e.data };
    if (e.exclude !== undefined) msg.x = e.exclude;
    if (e.userId !== undefined) msg.u = e.userId;
    this.link.send('e', msg);
  }

  private deliver(m: EventMessage): void {
    for (const channel of m.c) {
      const text = m.u === undefined ? frame(m.e, m.d, channel) : JSON.stringify({ event: m.e, channel, data: m.d, user_id: m.u });
      this.delivery.publish(channelTopic(m.a, channel), text, m.x);
    }
  }
}
