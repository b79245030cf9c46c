import { TtlCache } from '../kernel/ttl-cache.js';
import type { Clock } from '../../runtime/index.js';

/**
 * A bounded LRU with TTL that loads on a miss, remembers "not found" too, and shares
 * one load between concurrent callers of the same key.
 */
export class LoadingCache<T> {
  private readonly cache: TtlCache;
  private readonly inFlight = new Map<string, Promise<T | undefined>>();
  private generation = 0;

  constructor(maxEntries: number, ttlMs: number, clock: Clock) {
    this.cache = new TtlCache(maxEntries, ttlMs, clock);
  }

  async get(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const hit = this.cache.get(key) as { value: T | undefined } | undefined;
    if (hit) return hit.value;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const generation = this.generation;
    const loading: Promise<T | undefined> = load().finally(() => {
      if (this.inFlight.get(key) === loading) this.inFlight.delete(key);
    });
    this.inFlight.set(key, loading);
    const value = await loading;
    // A load that started before an invalidation may have read the old state: serve it once, never cache it.
    if (generation === this.generation) this.cache.set(key, { value });
    return value;
  }

  set(key: string, value: T, ttlMs?: number): void {
    this.cache.set(key, { value }, ttlMs);
  }

  peek(key: string): T | undefined {
    return (this.cache.get(key) as { value: T | undefined } | undefined)?.value;
  }

  clear(): void {
    this.generation++;
    this.cache.clear();
    this.inFlight.clear();
  }
}
