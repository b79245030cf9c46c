/**
 * Channel occupancy across the cluster, for the HTTP API: every hub answers with its
 * node's subscription counts, and the asker sums them.
 */
import type { ClusterLink } from './cluster-link.js';
import { ClusterQuery } from './cluster-query.js';
import type { LocalDelivery } from './delivery.js';
import type { Peers } from './peers.js';

export interface OccupancyFilter {
  channel?: string;
  prefix?: string;
}

export class ChannelQuery {
  private readonly query: ClusterQuery<{ app: string } & OccupancyFilter, Record<string, number>>;

  constructor(link: ClusterLink, delivery: LocalDelivery, peers: Peers, timeoutMs?: number) {
    this.query = new ClusterQuery(link, peers, 'occ', ({ app, channel, prefix }) => delivery.occupancy(app, { ...(channel === undefined ? {} : { channel }), ...(prefix === undefined ? {} : { prefix }) }), timeoutMs);
  }

  /** Subscriptions per occupied channel of an app, summed over the cluster. */
  async occupancy(appId: string, filter: OccupancyFilter): Promise<Record<string, number>> {
    const total: Record<string, number> = {};
    for (const occ of await this.query.ask({ app: appId, ...filter })) for (const [channel, n] of Object.entries(occ)) total[channel] = (total[channel] ?? 0) + n;
    return total;
  }
}
