/**
 * Where sessions, retained messages and in-flight QoS 1/2 state live. `memory` is aedes'
 * own (one node). `redis` is aedes-persistence-redis, the persistence the aedes project
 * keeps and tests for clusters: every node reads and writes the same sessions, so a device
 * reconnecting to another node resumes its subscriptions and gets its queued QoS 1/2
 * messages, and a message a node acknowledged is in Redis before the node can die with it.
 * (JetStream KV could hold it too, but would mean writing and proving a persistence of our own.)
 */
import { createRequire } from 'node:module';
import type { MqttConfig } from './config.js';

const require = createRequire(import.meta.url);

export function persistenceFor(config: MqttConfig['persistence']): unknown {
  if (config.kind === 'memory') return undefined;
  // The promise-based class (aedes 1.x calls it with await); the package's main export is the callback wrapper.
  const AsyncRedisPersistence = require('aedes-persistence-redis/asyncPersistence.js') as new (opts: Record<string, unknown>) => unknown;
  const url = new URL(config.url);
  return new AsyncRedisPersistence({
    host: url.hostname || '127.0.0.1',
    port: Number(url.port || 6379),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    db: Number(url.pathname.slice(1) || 0),
    keyPrefix: config.prefix,
    // Retry connecting for ever: a Redis restart must not end the broker.
    maxRetriesPerRequest: 3,
  });
}
