import type { NatsConnection } from '@nats-io/transport-node';
import type { Membership } from './membership.js';
import { ShardedChild, SingletonChild, type Child, type Placer } from './placed-child.js';
import { SingletonLease } from './singleton.js';

export interface ClusterPlacerOptions {
  servers: string | string[];
  /** Shared with the leases (the node's transport connection); default each lease connects on its own. */
  connection?: NatsConnection;
  membership: Membership;
  leaseMs?: number;
  /** Replicas of the leases bucket (runtime/nats-servers.ts). */
  replicas?: number;
}

/** Places children across the cluster `membership` knows: singletons under a KV lease, sharded by rendezvous hashing. */
export class ClusterPlacer implements Placer {
  private readonly singletons = new Map<string, SingletonChild>();

  constructor(private readonly opts: ClusterPlacerOptions) {}

  place(name: string, placement: 'singleton' | 'sharded', inner: Child): Child {
    const { membership, servers, leaseMs, connection, replicas } = this.opts;
    if (placement === 'sharded') return new ShardedChild(name, inner, membership);
    const child = new SingletonChild(inner, (handlers) =>
      SingletonLease.open({ servers, ...(replicas === undefined ? {} : { replicas }), ...(connection ? { connection } : {}), clusterId: membership.clusterId, nodeId: membership.nodeId, name, ...(leaseMs === undefined ? {} : { leaseMs }), ...handlers }),
    );
    this.singletons.set(name, child);
    return child;
  }

  /** The singletons placed here, and whether this node runs each now (with its fencing term). */
  held(): Array<{ name: string; term: number | undefined }> {
    return [...this.singletons].map(([name, c]) => ({ name, term: c.term }));
  }

  /** Where the singleton `name` runs now, as this node sees its lease (undefined while it moves, or if not placed here). */
  locate(name: string): string | undefined {
    return this.singletons.get(name)?.holder();
  }

  /** Drain: every singleton placed here stops its copy (if it runs here) and stops contending. */
  async handOver(): Promise<void> {
    await Promise.all([...this.singletons.values()].map((c) => c.handOver()));
  }
}
