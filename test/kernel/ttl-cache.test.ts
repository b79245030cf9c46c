import { describe, expect, it } from 'vitest';
import { TtlCache } from '../../actors/kernel/ttl-cache.js';
import { ManualClock } from '../../runtime/clock.js';

describe('TTL cache', () => {
  it('expires entries after their TTL (driven clock)', () => {
    const clock = new ManualClock();
    const cache = new TtlCache(10, 1_000, clock);
    cache.set('a', 1);
    cache.set('b', 2, 5_000);
    clock.advance(999);
    expect(cache.get('a')).toBe(1);
    clock.advance(1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBe(2);
  });

  it('evicts the least recently used entry when full', () => {
    const cache = new TtlCache(2, 60_000, new ManualClock());
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.stats()).toMatchObject({ size: 2, evictions: 1 });
  });

  it('counts hits and misses', () => {
    const cache = new TtlCache(2, 60_000, new ManualClock());
    cache.set('a', 1);
    cache.get('a');
    cache.get('zzz');
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 });
  });
});
