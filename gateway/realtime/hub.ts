/**
 * The built-in realtime server of one node: local delivery (uWS topics), cluster fan-out,
 * replicated presence, channel occupancy queries and database channels, wired together.
 */
import type { NodeCluster } from '../../cluster/index.js';
import type { TopicPublisher } from '../websocket-types.js';
import { ChannelQuery, type OccupancyFilter } from './channel-query.js';
import { ClientQuery, type ClientFilter, type ClientView } from './client-query.js';
import { ClusterLink } from './cluster-link.js';
import { DbChannels } from './db-channels.js';
import { LocalDelivery, channelTopic } from './delivery.js';
import { Fanout, type ChannelEvent } from './fanout.js';
import type { MemberChange } from './presence.js';
import { PresenceSync } from './presence-sync.js';
import { frame } from './protocol.js';
import type { EventBus, Transport } from '../../runtime/index.js';

export interface HubOptions {
  nodeId: string;
  transport: Transport;
  events: EventBus;
  topics: TopicPublisher;
  /** The node's cluster: which hubs are alive is its membership's answer. */
  cluster: Pick<NodeCluster, 'incarnation' | 'members' | 'onChange'>;
}

/** `appId:channel`: the key of a presence channel in the member registry. */
export const presenceKey = channelTopic;

export class RealtimeHub {
  readonly delivery: LocalDelivery;
  readonly presence: PresenceSync;
  readonly db: DbChannels;
  private readonly link: ClusterLink;
  private readonly fanout: Fanout;
  private readonly query: ChannelQuery;
  private readonly clientQuery: ClientQuery;

  constructor(opts: HubOptions) {
    this.delivery = new LocalDelivery(opts.topics);
    this.link = new ClusterLink(opts.transport, `${opts.nodeId}.${opts.cluster.incarnation}`);
    this.fanout = new Fanout(this.link, this.delivery);
    this.presence = new PresenceSync(this.link, opts.cluster, (changes) => this.announce(changes));
    this.query = new ChannelQuery(this.link, this.delivery, this.presence.peers);
    this.clientQuery = new ClientQuery(this.link, this.delivery, this.presence.peers, opts.nodeId);
    this.db = new DbChannels(opts.events, this.delivery);
  }

  async start(): Promise<void> {
    await this.link.ready();
    this.presence.start();
  }

  /** Publishes an event to channels on every node. */
  trigger(event: ChannelEvent): void {
    this.fanout.publish(event);
  }

  occupancy(appId: string, filter: OccupancyFilter): Promise<Record<string, number>> {
    return this.query.occupancy(appId, filter);
  }

  /** An app's connections on every node. */
  clients(appId: string, filter: ClientFilter): Promise<ClientView[]> {
    return this.clientQuery.clients(appId, filter);
  }

  /** Tells this node's clients of members that came or went (anywhere in the cluster). */
  announce(changes: readonly MemberChange[]): void {
    for (const c of changes) {
      const channel = c.key.slice(c.key.indexOf(':') + 1);
      const data = c.change === 'added' ? { user_id: c.userId, user_info: c.info } : { user_id: c.userId };
      this.delivery.publish(c.key, frame(`pusher_internal:member_${c.change}`, data, channel));
    }
  }

  async close(): Promise<void> {
    this.presence.stop();
    this.db.close();
    await this.link.close();
  }
}
