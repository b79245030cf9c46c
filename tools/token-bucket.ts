/** A token bucket's limit: tokens that come back per second, and how many a full bucket holds. */
export interface BucketLimit {
  rps: number;
  burst: number;
}

/** A bucket's state: tokens left (below zero after forced spending) as of time `at` (ms). */
export interface Bucket {
  tokens: number;
  at: number;
}

/** The one token-bucket implementation (MagGate's limits, logins, MagWS client messages). */
export function fullBucket(limit: BucketLimit, now: number): Bucket {
  return { tokens: limit.burst, at: now };
}

/**
 * Refills by the time elapsed since the last spend, then spends `n` tokens if there are
 * that many. `force` spends even below zero (down to -burst): tokens other nodes spent,
 * which this node must take from its own budget after the fact.
 */
export function spend(bucket: Bucket, limit: BucketLimit, now: number, n = 1, force = false): boolean {
  bucket.tokens = Math.min(limit.burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1_000) * limit.rps);
  bucket.at = now;
  if (!force && bucket.tokens < n) return false;
  bucket.tokens = Math.max(-limit.burst, bucket.tokens - n);
  return true;
}

/** Whole seconds until one token is back (at least 1), for Retry-After. */
export function secondsUntilToken(bucket: Bucket, limit: BucketLimit): number {
  return Math.max(1, Math.ceil((1 - bucket.tokens) / limit.rps));
}
