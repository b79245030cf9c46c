import { describe, expect, it } from 'vitest';
import { fullBucket, secondsUntilToken, spend } from '../../tools/token-bucket.js';

describe('the one token bucket', () => {
  const limit = { rps: 2, burst: 3 };

  it('grants a full burst, refuses the next, and refills by elapsed time up to the burst', () => {
    const b = fullBucket(limit, 0);
    expect([spend(b, limit, 0), spend(b, limit, 0), spend(b, limit, 0), spend(b, limit, 0)]).toEqual([true, true, true, false]);
    expect(secondsUntilToken(b, limit)).toBe(1);
    expect(spend(b, limit, 499)).toBe(false);
    expect(spend(b, limit, 500)).toBe(true);
    expect(spend(b, limit, 60_000, 3)).toBe(true);
    expect(spend(b, limit, 60_000)).toBe(false);
  });

  it('forced spending (other nodes) goes below zero but never past -burst, and a clock going back refills nothing', () => {
    const b = fullBucket(limit, 1_000);
    expect(spend(b, limit, 1_000, 10, true)).toBe(true);
    expect(b.tokens).toBe(-3);
    expect(secondsUntilToken(b, limit)).toBe(2);
    expect(spend(b, limit, 0)).toBe(false);
    expect(b.tokens).toBe(-3);
  });
});
