import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topicMatches } from '../../runtime/transport.js';

/** The matching rule as NATS states it, token lists and all: the reference for the fast matcher. */
function reference(pattern: string, topic: string): boolean {
  const p = pattern.split('.');
  const t = topic.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return t.length > i;
    if (i >= t.length) return false;
    if (p[i] !== '*' && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}

const token = fc.constantFrom('a', 'b', 'ab', '*', '>', '');
const subject = fc.array(token, { minLength: 1, maxLength: 5 }).map((tokens) => tokens.join('.'));

describe('topicMatches', () => {
  it('agrees with the token-list rule on every pattern and topic', () => {
    fc.assert(fc.property(subject, subject, (pattern, topic) => topicMatches(pattern, topic) === reference(pattern, topic)), { numRuns: 20_000 });
  });

  it('matches the documented cases', () => {
    expect(topicMatches('data.*.items', 'data.p1.items')).toBe(true);
    expect(topicMatches('data.>', 'data.p1.items')).toBe(true);
    expect(topicMatches('data.>', 'data')).toBe(false);
    expect(topicMatches('data.*', 'data.p1.items')).toBe(false);
    expect(topicMatches('data.p1', 'data.p10')).toBe(false);
  });
});
