export * from './lease.js';
export * from './placement.js';
// KvLease is imported where cluster mode needs it (it loads the NATS client).
