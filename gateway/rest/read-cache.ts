import type { Row } from '../../adapters/index.js';

export interface ReadCacheLimits {
  /** Rows held at most over all answers (an empty answer counts as one). */
  maxRows: number;
  ttlMs: number;
}

interface Entry {
  rows: Row[];
  generation: number;
  expires: number;
}

/** One answer may take at most this share of the row budget: a whole-table list is not worth evicting everything for. */
const LARGEST_SHARE = 10;

/**
 * MagGate's read cache: answers of reads, per data source (a scope), all dropped when
 * anything in that source is written (a write to one table can change others: cascades,
 * triggers). Invalidation is by generation: every write, change-feed event, source change
 * or restore bumps its scope's generation (or all of them), and an entry counts only while
 * its generation is current. A read takes the generation before it starts and stores its
 * answer under it, so a read that raced a write can never be stored as fresh after the write.
 * MagGate bumps a source's generation before it answers every write it serves, so a read that
 * starts after a write was acknowledged never sees the data as it was. Writes that do not
 * pass through this node's gateway arrive through the change feed, later: for those the TTL
 * bounds staleness, and mount.ts keeps the cache off where such writes are the rule (several
 * nodes). Memory is bounded by rows, not entries.
 */
export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  /** Per scope, the counter's value at its last invalidation; `epoch`, at the last clear. */
  private readonly generations = new Map<string, number>();
  private epoch = 0;
  /** Only grows, so no generation is ever current twice. */
  private counter = 0;
  private rows = 0;

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
      if (entry) this.drop(id, entry);
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
    if (!limits || generation !== this.generation(scope) || weight(rows) > limits.maxRows / LARGEST_SHARE) return;
    const id = `${scope}\u0000${key}`;
    const old = this.entries.get(id);
    if (old) this.drop(id, old);
    this.entries.set(id, { rows, generation, expires: now + limits.ttlMs });
    this.rows += weight(rows);
    for (const [oldest, entry] of this.entries) {
      if (this.rows <= limits.maxRows) break;
      this.drop(oldest, entry);
    }
  }

  /** Something in the scope was (or is about to be) written: every answer read from it before now is stale. */
  invalidate(scope: string): void {
    this.generations.set(scope, ++this.counter);
  }

  /** Everything is stale (a restore rewrote the data). */
  clear(): void {
    this.epoch = ++this.counter;
    this.generations.clear();
    this.entries.clear();
    this.rows = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.rows -= weight(entry.rows);
  }
}

function weight(rows: Row[]): number {
  return Math.max(1, rows.length);
}
