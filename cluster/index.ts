export * from './lease.js';
export * from './placement.js';
export * from './shared-buckets.js';
// KvLease is imported where cluster mode needs it (it loads the NATS client).
