export * from './lease.js';
export * from './placement.js';
export * from './shared-buckets.js';
// KvLease is imported where cluster mode needs it (it loads the NATS client).
export * from './detector.js';
export * from './placed-child.js';
// Membership, SingletonLease and ClusterPlacer load the NATS client: import them from their files in cluster mode.
