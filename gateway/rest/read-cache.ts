import type { Row } from '../../adapters/types.js';

export interface ReadCacheLimits {
  maxEntries: number;
  ttlMs: number;
}

interface Entry {
  rows: Row[];
  scope: string;
  generation: number;
  expires: number;
}

/**
 * MagGate's read cache: answers of reads, per (source, table), dropped when that table is
 * written. Invalidation is by generation: every write, change-feed event or restore bumps its
 * scope's generation (or all of them), and an entry counts only while its generation is
 * current. A read takes the generation before it starts and stores its answer under it, so a
 * read that raced a write can never be stored as fresh after the write (its generation is
 * already old). MagGate bumps a table's generation before and after every write it serves, so
 * a read that starts after a write was acknowledged never sees the row as it was. Writes that
 * do not pass through this node's gateway arrive through the change feed, later: for those the
 * TTL bounds staleness, and mount.ts keeps the cache off where such writes are the rule
 * (several nodes).
 */
export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  /** Per scope, the counter's value at its last invalidation; `epoch`, at the last clear. */
  private readonly generations = new Map<string, number>();
  private epoch = 0;
  /** Only grows, so no generation is ever current twice. */
  private counter = 0;

  constructor(
    private readonly limits: () => ReadCacheLimits | undefined,
    private readonly onLookup: (hit: boolean) => void = () => undefined,
  ) {}

  get enabled(): boolean {
    return this.limits() !== undefined;
  }

  /** The generation to store a read under: take it before the read starts. */
  generation(scope: string): number {
    return Math.max(this.epoch, this.generations.get(scope) ?? 0);
  }

  get(scope: string, key: string, now = Date.now()): Row[] | undefined {
    if (!this.limits()) return undefined;
    const id = `${scope}\u0000${key}`;
    const entry = this.entries.get(id);
    if (!entry || entry.generation !== this.generation(scope) || entry.expires <= now) {
      if (entry) this.entries.delete(id);
      this.onLookup(false);
      return undefined;
    }
    this.onLookup(true);
    // Map order is recency order: a hit moves to the back, eviction takes the front.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.rows;
  }

  set(scope: string, key: string, rows: Row[], generation: number, now = Date.now()): void {
    const limits = this.limits();
    if (!limits || generation !== this.generation(scope)) return;
    const id = `${scope}\u0000${key}`;
    this.entries.delete(id);
    this.entries.set(id, { rows, scope, generation, expires: now + limits.ttlMs });
    while (this.entries.size > limits.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /** A table was (or is about to be) written: every answer read from it before now is stale. */
  invalidate(scope: string): void {
    this.generations.set(scope, ++this.counter);
  }

  /** Everything is stale (a restore rewrote the data, the cache was switched off). */
  clear(): void {
    this.epoch = ++this.counter;
    this.generations.clear();
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

export function cacheScope(address: string, table: string): string {
  return `${address}\u0000${table}`;
}
