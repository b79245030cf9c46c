import type { Membership } from './membership.js';
import { ShardedChild, SingletonChild, type Child, type Placer } from './placed-child.js';
import { SingletonLease } from './singleton.js';

export interface ClusterPlacerOptions {
  servers: string | string[];
  membership: Membership;
  leaseMs?: number;
}

/** Places children across the cluster `membership` knows: singletons under a KV lease, sharded by rendezvous hashing. */
export class ClusterPlacer implements Placer {
  constructor(private readonly opts: ClusterPlacerOptions) {}

  place(name: string, placement: 'singleton' | 'sharded', inner: Child): Child {
    const { membership, servers, leaseMs } = this.opts;
    if (placement === 'sharded') return new ShardedChild(name, inner, membership);
    return new SingletonChild(inner, (handlers) =>
      SingletonLease.open({ servers, clusterId: membership.clusterId, nodeId: membership.nodeId, name, ...(leaseMs === undefined ? {} : { leaseMs }), ...handlers }),
    );
  }
}
