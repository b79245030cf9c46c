/**
 * The Pusher connections of an app across the cluster, for the admin page: every hub lists
 * its node's sockets (optionally only those subscribed to one channel).
 */
import type { ClusterLink } from './cluster-link.js';
import { ClusterQuery } from './cluster-query.js';
import type { LocalDelivery } from './delivery.js';
import type { Peers } from './peers.js';

export interface ClientView {
  socketId: string;
  /** The node the socket is connected to. */
  node: string;
  channels: string[];
  connectedAt: string;
  /** The peer address as the node saw it (a proxy's, behind one). */
  remoteAddress: string | null;
}

export interface ClientFilter {
  channel?: string;
}

export class ClientQuery {
  private readonly query: ClusterQuery<{ app: string } & ClientFilter, ClientView[]>;

  constructor(link: ClusterLink, delivery: LocalDelivery, peers: Peers, node: string, timeoutMs?: number) {
    const local = ({ app, channel }: { app: string } & ClientFilter): ClientView[] => {
      const out: ClientView[] = [];
      for (const conn of delivery.all()) {
        if (conn.app.id !== app || (channel !== undefined && !conn.subscriptions.has(channel))) continue;
        out.push({ socketId: conn.socketId, node, channels: [...conn.subscriptions.keys()], connectedAt: new Date(conn.connectedAt).toISOString(), remoteAddress: conn.socket.ip || null });
      }
      return out;
    };
    this.query = new ClusterQuery(link, peers, 'cli', local, timeoutMs);
  }

  /** Oldest connection first. */
  async clients(appId: string, filter: ClientFilter): Promise<ClientView[]> {
    return (await this.query.ask({ app: appId, ...filter })).flat().sort((a, b) => a.connectedAt.localeCompare(b.connectedAt) || a.socketId.localeCompare(b.socketId));
  }
}
