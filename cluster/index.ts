export * from './lease.js';
export * from './placement.js';
export * from './shared-buckets.js';
// KvLease is imported where cluster mode needs it (it loads the NATS client).
export * from './detector.js';
export * from './placed-child.js';
export * from './node-cluster.js';
// Membership, SingletonLease, ClusterPlacer and NatsCluster load the NATS client: import them from their files in cluster mode.
export type { EventStream, EventStreamOptions, StreamedEvent, StreamQuery } from './event-stream.js';

/** Opens a bounded JetStream stream of bus events (loads the NATS client only when called: cluster mode). */
export async function openEventStream(opts: import('./event-stream.js').EventStreamOptions): Promise<import('./event-stream.js').EventStream> {
  return (await import('./event-stream.js')).EventStream.open(opts);
}
