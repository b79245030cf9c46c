/**
 * MagDS adapters: one interface (types.ts), one module per backend. `createAdapter` is
 * synchronous; the backend's module (and so its driver) is imported when the adapter connects,
 * so only the drivers of sources in use are ever loaded.
 */
import { MoboError } from '../runtime/errors.js';
import { LazyAdapter } from './lazy.js';
import type { Adapter, AdapterKind, SourceConfig } from './types.js';

export type * from './types.js';
export type { Scalar, ComparisonOp } from './query.js';
export { filterColumns } from './query.js';
export type * from './rest-plan.js';
export { embeddedNames } from './rest-plan.js';
export { matchesFilter, applyQuery } from './evaluate.js';
export { sqliteFile } from './options.js';

/**
 * Whether a backend's change feed reports every committed change, whoever made it (Postgres:
 * triggers), or only the changes made through the adapter instance that reports them.
 */
export function feedSeesAllWrites(kind: AdapterKind): boolean {
  return kind === 'postgres';
}

/** Whether `restore` builds beside the live tables and swaps in one step (see Adapter.restore). */
export function restoresAtomically(kind: AdapterKind): boolean {
  return kind === 'postgres' || kind === 'sqlite' || kind === 'mysql';
}

export function createAdapter(config: SourceConfig): Adapter {
  return new LazyAdapter(config.kind, () => loadBackend(config));
}

async function loadBackend(config: SourceConfig): Promise<Adapter> {
  switch (config.kind) {
    case 'postgres':
      return (await import('./postgres.js')).createPostgresAdapter(config);
    case 'sqlite':
      return (await import('./sqlite.js')).createSqliteAdapter(config);
    case 'mysql':
      return (await import('./mysql.js')).createMysqlAdapter(config);
    case 'redis':
      return (await import('./redis.js')).createRedisAdapter(config);
    case 'mongodb':
      return (await import('./mongodb.js')).createMongoAdapter(config);
    default:
      throw new MoboError('DS_UNSUPPORTED', 'Unknown data source kind', { details: { kind: String((config as SourceConfig).kind) } });
  }
}
