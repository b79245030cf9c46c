import type { PoolOptions, SourceConfig } from './types.js';

export const DEFAULT_POOL: Readonly<PoolOptions> = Object.freeze({ max: 10, idleTimeoutMs: 30_000, connectTimeoutMs: 5_000 });

/** How long `health()` waits for its probe before it reports the source down. */
export const HEALTH_TIMEOUT_MS = 2_000;

/** Rows per batch when dumping, restoring and re-reading changed rows. */
export const BATCH_SIZE = 1_000;

/** Insert batches a restore keeps in flight (over the pool where the backend has one). */
export const RESTORE_IN_FLIGHT = 4;

export function poolOptions(config: SourceConfig): PoolOptions {
  return { ...DEFAULT_POOL, ...config.pool };
}

/** The file of a SQLite source (`sqlite:` prefix dropped); ':memory:' and '' are in-memory databases. */
export function sqliteFile(url: string): string {
  return url.replace(/^sqlite:(\/\/)?/, '');
}
