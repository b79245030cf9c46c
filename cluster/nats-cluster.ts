/**
 * The node's cluster on NATS: its membership (heartbeats on the transport's own connection,
 * so a node whose link dies goes silent) and a placer whose singleton leases share that
 * connection. MoboNode joins it before the tree starts and leaves it after the tree stops.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { EventBus } from '../runtime/index.js';
import { Membership } from './membership.js';
import type { MemberChange, NodeCluster, ClusterTimings } from './node-cluster.js';
import { ClusterPlacer } from './placer.js';
import type { MemberView } from './detector.js';

export interface NatsClusterOptions extends ClusterTimings {
  servers: string;
  /** Replicas of the members and leases buckets (runtime/nats-servers.ts). */
  replicas?: number;
  connection?: NatsConnection;
  clusterId: string;
  nodeId: string;
  events?: EventBus;
  meta?: Record<string, string>;
}

export class NatsCluster implements NodeCluster {
  readonly mode = 'cluster' as const;
  readonly placer: ClusterPlacer;

  private constructor(private readonly membership: Membership, opts: NatsClusterOptions) {
    this.placer = new ClusterPlacer({ servers: opts.servers, ...(opts.replicas === undefined ? {} : { replicas: opts.replicas }), membership, leaseMs: opts.leaseMs, ...(opts.connection ? { connection: opts.connection } : {}) });
  }

  static async join(opts: NatsClusterOptions): Promise<NatsCluster> {
    const { leaseMs: _lease, ...rest } = opts;
    const membership = await Membership.join({ ...rest });
    return new NatsCluster(membership, opts);
  }

  get clusterId(): string {
    return this.membership.clusterId;
  }

  get nodeId(): string {
    return this.membership.nodeId;
  }

  get incarnation(): string {
    return this.membership.incarnation;
  }

  locate(name: string): string | undefined {
    return this.placer.locate(name);
  }

  members(): MemberView[] {
    return this.membership.members();
  }

  onChange(listener: (change: MemberChange) => void): () => void {
    return this.membership.onChange(({ node, incarnation, from, to }) => listener({ node, incarnation, from, to }));
  }

  describe(meta: Record<string, string>): void {
    this.membership.describe(meta);
  }

  leaving(): Promise<void> {
    return this.membership.leaving();
  }

  leave(): Promise<void> {
    return this.membership.leave();
  }
}
