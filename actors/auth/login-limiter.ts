import type { Clock } from '../../runtime/clock.js';
import { MoboError } from '../../runtime/errors.js';

interface Bucket {
  tokens: number;
  at: number;
}

export interface LimiterOptions {
  /** Attempts allowed at once. */
  burst: number;
  /** One attempt comes back every `refillMs`. */
  refillMs: number;
  /** Buckets held at most (oldest dropped first), so a flood of addresses cannot exhaust memory. */
  maxKeys: number;
}

export const LOGIN_LIMITS: LimiterOptions = { burst: 5, refillMs: 12_000, maxKeys: 50_000 };

/**
 * A token bucket per (project, email, IP) for password attempts: five at once, then one
 * every 12 s. Per node: a cluster multiplies the budget by its node count, which still
 * turns an online guessing attack from thousands per second into a handful per minute.
 */
export class LoginLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly clock: Clock,
    private readonly opts: LimiterOptions = LOGIN_LIMITS,
  ) {}

  /** Spends one attempt, or throws RATE_LIMITED with when to retry. */
  take(key: string): void {
    const now = this.clock.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.opts.burst, at: now };
    const tokens = Math.min(this.opts.burst, bucket.tokens + (now - bucket.at) / this.opts.refillMs);
    this.buckets.delete(key);
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      const retryAfterS = Math.ceil(((1 - tokens) * this.opts.refillMs) / 1_000);
      throw new MoboError('RATE_LIMITED', 'Too many sign-in attempts; retry later', { details: { retryAfterSeconds: retryAfterS } });
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    if (this.buckets.size > this.opts.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
  }
}
