import { type BucketLimit, SharedBuckets } from '../cluster/index.js';
import { type Clock, type EventBus, MoboError } from '../runtime/index.js';

const USAGE_TOPIC = 'api.ratelimit.usage';
const MAX_BUCKETS = 100_000;

/**
 * MagGate's token buckets per API key and per client IP, shared across the cluster
 * (cluster/shared-buckets.ts): a key's limit holds within one sharing interval, whichever
 * nodes its requests reach. Limits are read on every take, so a config reload applies at once.
 */
export class RateLimiter {
  private readonly buckets: SharedBuckets;

  constructor(limits: () => { perKey: BucketLimit; perIp: BucketLimit }, events: EventBus, nodeId: string, clock: Clock) {
    this.buckets = new SharedBuckets({
      topic: USAGE_TOPIC,
      events,
      nodeId,
      clock,
      maxKeys: MAX_BUCKETS,
      limitOf: (key) => (key.startsWith('ip:') ? limits().perIp : limits().perKey),
    });
  }

  /** Takes one token for the IP; throws RATE_LIMITED with Retry-After seconds when empty. */
  takeIp(ip: string): void {
    this.take(`ip:${ip}`);
  }

  takeKey(subject: string): void {
    this.take(`key:${subject}`);
  }

  close(): void {
    this.buckets.close();
  }

  private take(key: string): void {
    const retryAfterSeconds = this.buckets.take(key);
    if (retryAfterSeconds > 0) throw new MoboError('RATE_LIMITED', undefined, { details: { retryAfterSeconds } });
  }
}
