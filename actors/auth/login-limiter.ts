import { SharedBuckets } from '../../cluster/shared-buckets.js';
import { sha256Hex } from './crypto.js';
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

/** Not under `security.*`: those are the audit events, kept and replayed. */
const USAGE_TOPIC = 'api.login.usage';

/**
 * A token bucket per (project, email, IP) for password attempts: five at once, then one
 * every 12 s, shared across the cluster (cluster/shared-buckets.ts), so more nodes do not
 * mean more guesses. Keys are hashed before they are held or shared: no email or address
 * travels on the bus.
 */
export class LoginLimiter {
  private readonly buckets: SharedBuckets;

  constructor(clock: Clock, events: EventBus, nodeId: string, opts: LimiterOptions = LOGIN_LIMITS) {
    const limit = { rps: 1_000 / opts.refillMs, burst: opts.burst };
    this.buckets = new SharedBuckets({ topic: USAGE_TOPIC, events, nodeId, clock, maxKeys: opts.maxKeys, limitOf: () => limit });
  }

  /** Spends one attempt, or throws RATE_LIMITED with when to retry. */
  take(key: string): void {
    const retryAfterSeconds = this.buckets.take(sha256Hex(key));
    if (retryAfterSeconds > 0) throw new MoboError('RATE_LIMITED', 'Too many sign-in attempts; retry later', { details: { retryAfterSeconds } });
  }

  close(): void {
    this.buckets.close();
  }
}
