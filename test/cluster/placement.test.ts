import { describe, expect, it } from 'vitest';
import { placeKey } from '../../cluster/placement.js';

const keys = Array.from({ length: 2_000 }, (_, i) => `project-${i}.main`);

describe('rendezvous placement', () => {
  it('gives every node the same answer for the same members, in any order', () => {
    for (const key of keys.slice(0, 100)) expect(placeKey(key, ['a', 'b', 'c'])).toBe(placeKey(key, ['c', 'a', 'b']));
  });

  it('spreads keys over the nodes', () => {
    const counts = new Map<string, number>();
    for (const key of keys) counts.set(placeKey(key, ['a', 'b', 'c', 'd'])!, (counts.get(placeKey(key, ['a', 'b', 'c', 'd'])!) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    for (const n of counts.values()) expect(n).toBeGreaterThan(keys.length / 8);
  });

  it('moves only the keys of a node that leaves, and brings them back when it returns', () => {
    const before = keys.map((k) => placeKey(k, ['a', 'b', 'c']));
    const without = keys.map((k) => placeKey(k, ['a', 'c']));
    keys.forEach((_, i) => {
      if (before[i] !== 'b') expect(without[i]).toBe(before[i]);
      else expect(without[i]).not.toBe('b');
    });
    expect(keys.map((k) => placeKey(k, ['a', 'b', 'c']))).toEqual(before);
  });

  it('has no node for an empty cluster', () => {
    expect(placeKey('x', [])).toBeUndefined();
  });
});
