import { createHash } from 'node:crypto';

/**
 * Rendezvous (highest-random-weight) hashing: each key goes to the live node with the
 * highest hash of (node, key). Every node computes the same answer from the same member
 * list with no coordination; when a node leaves, only its keys move, and when it returns
 * they come back to it.
 */
export function placeKey(key: string, nodes: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1n;
  for (const node of nodes) {
    const score = createHash('sha256').update(node).update('\u0000').update(key).digest().readBigUInt64BE(0);
    if (score > bestScore || (score === bestScore && best !== undefined && node < best)) {
      best = node;
      bestScore = score;
    }
  }
  return best;
}
