import { fullBucket, secondsUntilToken, spend, type Bucket, type BucketLimit } from '../tools/index.js';
import type { Clock, EventBus, TimerHandle } from '../runtime/index.js';

export type { BucketLimit };

export interface SharedBucketsOptions {
  /** The bus topic where nodes tell each other what they spent. */
  topic: string;
  events: EventBus;
  nodeId: string;
  clock: Clock;
  limitOf(key: string): BucketLimit;
  /** Buckets held at most (least recently used dropped first), so a flood of keys cannot exhaust memory. */
  maxKeys: number;
}

interface Usage {
  node: string;
  spent: Record<string, number>;
}

const SHARE_EVERY_MS = 250;

/**
 * Token buckets whose budget holds across a cluster. Each node spends locally (no round trip
 * per request) and, within 250 ms, tells the others on the event bus what it spent (the bus
 * crosses nodes over NATS); they take the same tokens from their own buckets, which remote
 * spending may push below zero. So a limit holds cluster-wide within one sharing interval.
 */
export class SharedBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private spent = new Map<string, number>();
  private flush: TimerHandle | undefined;
  private readonly off: () => void;

  constructor(private readonly opts: SharedBucketsOptions) {
    this.off = opts.events.on<Usage>(opts.topic, ({ payload }) => {
      if (payload.node === opts.nodeId) return;
      for (const [key, n] of Object.entries(payload.spent)) this.spend(key, n, true);
    });
  }

  /** Spends one token for `key`: 0 when granted, else the seconds until one is back. */
  take(key: string): number {
    if (!this.spend(key, 1, false)) {
      return secondsUntilToken(this.buckets.get(key)!, this.opts.limitOf(key));
    }
    this.spent.set(key, (this.spent.get(key) ?? 0) + 1);
    this.flush ??= this.opts.clock.setTimeout(() => this.share(), SHARE_EVERY_MS);
    return 0;
  }

  close(): void {
    if (this.flush) this.opts.clock.clearTimeout(this.flush);
    this.off();
  }

  /** Spends n tokens of `key`'s bucket, keeping the map in least-recently-used order. */
  private spend(key: string, n: number, force: boolean): boolean {
    const limit = this.opts.limitOf(key);
    const now = this.opts.clock.now();
    const bucket = this.buckets.get(key) ?? fullBucket(limit, now);
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.opts.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    return spend(bucket, limit, now, n, force);
  }

  private share(): void {
    this.flush = undefined;
    if (this.spent.size === 0) return;
    const spent = Object.fromEntries(this.spent);
    this.spent = new Map();
    this.opts.events.emit(this.opts.topic, { node: this.opts.nodeId, spent } satisfies Usage);
  }
}
