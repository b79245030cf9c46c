import type { EventBus } from '../runtime/eventbus.js';
import { MoboError } from '../runtime/errors.js';

export interface BucketLimit {
  rps: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const USAGE_TOPIC = 'api.ratelimit.usage';
const SHARE_EVERY_MS = 250;
const MAX_BUCKETS = 100_000;

/**
 * Token buckets per API key and per client IP. Each node spends locally (no round trip
 * per request) and shares what it spent every 250 ms on the event bus, which crosses
 * nodes over NATS: the other nodes take the same tokens from their buckets, so a key's
 * limit holds across the cluster within one sharing interval.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private spent = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private readonly off: () => void;

  constructor(
    private readonly limits: () => { perKey: BucketLimit; perIp: BucketLimit },
    private readonly events: EventBus,
    private readonly nodeId: string,
  ) {
    this.off = events.on<{ node: string; spent: Record<string, number> }>(USAGE_TOPIC, ({ payload }) => {
      if (payload.node === this.nodeId) return;
      for (const [key, n] of Object.entries(payload.spent)) this.spend(key, this.limitOf(key), n, true);
    });
    this.timer = setInterval(() => this.share(), SHARE_EVERY_MS);
    this.timer.unref();
  }

  /** Takes one token for the IP; throws RATE_LIMITED with Retry-After seconds when empty. */
  takeIp(ip: string): void {
    this.take(`ip:${ip}`);
  }

  takeKey(subject: string): void {
    this.take(`key:${subject}`);
  }

  close(): void {
    clearInterval(this.timer);
    this.off();
  }

  private take(key: string): void {
    const limit = this.limitOf(key);
    if (!this.spend(key, limit, 1, false)) {
      const bucket = this.buckets.get(key)!;
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / limit.rps));
      throw new MoboError('RATE_LIMITED', undefined, { details: { retryAfterSeconds } });
    }
    this.spent.set(key, (this.spent.get(key) ?? 0) + 1);
  }

  private limitOf(key: string): BucketLimit {
    const limits = this.limits();
    return key.startsWith('ip:') ? limits.perIp : limits.perKey;
  }

  /** Refills by elapsed time, then spends n tokens; remote spending may push below zero. */
  private spend(key: string, limit: BucketLimit, n: number, force: boolean): boolean {
    const now = Date.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value as string);
      bucket = { tokens: limit.burst, at: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.rps);
    bucket.at = now;
    if (!force && bucket.tokens < n) return false;
    bucket.tokens = Math.max(-limit.burst, bucket.tokens - n);
    return true;
  }

  private share(): void {
    if (this.spent.size === 0) return;
    const spent = Object.fromEntries(this.spent);
    this.spent = new Map();
    this.events.emit(USAGE_TOPIC, { node: this.nodeId, spent });
  }
}
