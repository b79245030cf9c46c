/**
 * Channel occupancy across the cluster, for the HTTP API: a query goes to every node
 * (`q`), each answers with its local subscription counts (`r`), and the asker sums the
 * answers of every live node (or what it has when `timeoutMs` passes).
 */
import { randomBytes } from 'node:crypto';
import type { ClusterLink, LinkMessage } from './cluster-link.js';
import type { LocalDelivery } from './delivery.js';
import type { Peers } from './peers.js';

export interface OccupancyFilter {
  channel?: string;
  prefix?: string;
}

interface Query extends LinkMessage, OccupancyFilter {
  id: string;
  a: string;
}
interface Reply extends LinkMessage {
  id: string;
  to: string;
  occ: Record<string, number>;
}

export class ChannelQuery {
  private readonly waiting = new Map<string, (reply: Reply) => void>();

  constructor(
    private readonly link: ClusterLink,
    private readonly delivery: LocalDelivery,
    private readonly peers: Peers,
    private readonly timeoutMs = 1_000,
  ) {
    link.on<Query>('q', (q) => {
      const filter: OccupancyFilter = {};
      if (q.channel !== undefined) filter.channel = q.channel;
      if (q.prefix !== undefined) filter.prefix = q.prefix;
      link.send('r', { id: q.id, to: q.n, occ: delivery.occupancy(q.a, filter) });
    });
    link.on<Reply>('r', (r) => {
      if (r.to === link.nodeId) this.waiting.get(r.id)?.(r);
    });
  }

  /** Subscriptions per occupied channel of an app, summed over the cluster. */
  async occupancy(appId: string, filter: OccupancyFilter): Promise<Record<string, number>> {
    const total = { ...this.delivery.occupancy(appId, filter) };
    const expected = new Set(this.peers.live().filter((n) => n !== this.link.nodeId));
    if (expected.size === 0) return total;
    const id = randomBytes(8).toString('hex');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiting.set(id, (reply) => {
        if (!expected.delete(reply.n)) return;
        for (const [channel, n] of Object.entries(reply.occ)) total[channel] = (total[channel] ?? 0) + n;
        if (expected.size === 0) done();
      });
      this.link.send('q', { id, a: appId, ...filter });
    });
    this.waiting.delete(id);
    return total;
  }
}
