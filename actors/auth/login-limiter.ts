import { SharedBuckets } from '../../cluster/shared-buckets.js';
import type { Clock } from '../../runtime/clock.js';
import { MoboError } from '../../runtime/errors.js';
import type { EventBus } from '../../runtime/eventbus.js';

export interface LimiterOptions {
  /** Attempts allowed at once. */
  burst: number;
  /** One attempt comes back every `refillMs`. */
  refillMs: number;
  /** Keys held at most (least recently used dropped first), so a flood of addresses cannot exhaust memory. */
  maxKeys: number;
}

export const LOGIN_LIMITS: LimiterOptions = { burst: 5, refillMs: 12_000, maxKeys: 50_000 };

const USAGE_TOPIC = 'security.login.usage';

/**
 * A token bucket per (project, email, IP) for password attempts: five at once, then one
 * every 12 s, shared across the cluster (cluster/shared-buckets.ts), so more nodes do not
 * mean more guesses.
 */
export class LoginLimiter {
  private readonly buckets: SharedBuckets;

  constructor(clock: Clock, events: EventBus, nodeId: string, opts: LimiterOptions = LOGIN_LIMITS) {
    const limit = { rps: 1_000 / opts.refillMs, burst: opts.burst };
    this.buckets = new SharedBuckets({ topic: USAGE_TOPIC, events, nodeId, clock, maxKeys: opts.maxKeys, limitOf: () => limit });
  }

  /** Spends one attempt, or throws RATE_LIMITED with when to retry. */
  take(key: string): void {
    const retryAfterSeconds = this.buckets.take(key);
    if (retryAfterSeconds > 0) throw new MoboError('RATE_LIMITED', 'Too many sign-in attempts; retry later', { details: { retryAfterSeconds } });
  }

  close(): void {
    this.buckets.close();
  }
}
