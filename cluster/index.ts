export * from './lease.js';
export * from './placement.js';
export * from './shared-buckets.js';
// KvLease is imported where cluster mode needs it (it loads the NATS client).
export * from './detector.js';
export * from './placed-child.js';
export * from './node-cluster.js';
export * from './follow-ref.js';
// Membership, SingletonLease, ClusterPlacer, NatsCluster and JetStreamChangeRelay (change-relay.ts) load the NATS client: import them from their files in cluster mode.
export type { NatsClusterOptions } from './nats-cluster.js';
export type { EventStream, EventStreamOptions, StreamedEvent, StreamQuery } from './event-stream.js';

/** Joins the cluster on NATS (loads the NATS client only when called: cluster mode). */
export async function joinNatsCluster(opts: import('./nats-cluster.js').NatsClusterOptions): Promise<import('./node-cluster.js').NodeCluster> {
  return (await import('./nats-cluster.js')).NatsCluster.join(opts);
}

/** Opens a JetStream KV lease of per-term claims (cluster mode). */
export async function openKvLease(opts: import('./kv-lease.js').KvLeaseOptions): Promise<import('./lease.js').Lease> {
  return (await import('./kv-lease.js')).KvLease.open(opts);
}

/** Opens a bounded JetStream stream of bus events (loads the NATS client only when called: cluster mode). */
export async function openEventStream(opts: import('./event-stream.js').EventStreamOptions): Promise<import('./event-stream.js').EventStream> {
  return (await import('./event-stream.js')).EventStream.open(opts);
}

export type { JetStreamChangeRelay, JetStreamRelayOptions } from './change-relay.js';

/** Opens a node's JetStream change relay (loads the NATS client only when called: cluster mode). */
export async function openChangeRelay(opts: import('./change-relay.js').JetStreamRelayOptions): Promise<import('./change-relay.js').JetStreamChangeRelay> {
  return (await import('./change-relay.js')).JetStreamChangeRelay.open(opts);
}
