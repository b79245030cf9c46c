import { LazyAdapter } from './lazy.js';
import { dropMysql, dropPostgres, provisionMysql, provisionPostgres, type AdminRunner, type Provisioned } from './provision.js';
import type { ChangeRelay } from './capture.js';
import type { Adapter, AdapterDeps, AdapterKind, SourceConfig } from './types.js';
import { MoboError } from '../runtime/index.js';

export type * from './types.js';
export type { Scalar, ComparisonOp } from './query.js';
export { filterColumns } from './query.js';
export { forRead, isConnectionLost, outcomeUnknown } from './outcome.js';
export { requireColumn } from './columns.js';
export type * from './rest-plan.js';
export { embeddedNames } from './rest-plan.js';
export { matchesFilter, applyQuery } from './evaluate.js';
export { sqliteFile } from './options.js';
export { splitStatements } from './sql/split.js';
export { chunkTable, isNativeOnly } from './dump.js';
export { derivedName, type Provisioned } from './provision.js';
export { postgresTarget } from './postgres-url.js';
export { budgetStats, type BudgetStats } from './server-budget.js';
export { listenConnections } from './listen-hub.js';
export { captureStats, changePosition, directRelay, PositionFilter, ReaderLoop } from './capture.js';
export type { CaptureMode, CapturePath, CaptureReader, CaptureStatus, CapturedChange, ChangeRelay, RelayAttachment } from './capture.js';

/**
 * Whether a backend's change feed reports every committed change, whoever made it (Postgres:
 * triggers), or only the changes made through the adapter instance that reports them.
 */
export function feedSeesAllWrites(kind: AdapterKind): boolean {
  return kind === 'postgres';
}

/** Whether `restore` builds beside the live tables and swaps in one step (see Adapter.restore). */
export function restoresAtomically(kind: AdapterKind): boolean {
  return kind === 'postgres' || kind === 'sqlite' || kind === 'mysql' || kind === 'redis';
}

/** A project's own database (or schema) and login role on a shared server (adapters/provision.ts). */
export async function provisionSource(kind: 'postgres' | 'mysql', adminUrl: string, project: string, options: { per?: 'database' | 'schema'; database?: string } = {}): Promise<Provisioned> {
  const admin = await openAdmin(kind, adminUrl);
  try {
    return kind === 'postgres' ? await provisionPostgres(admin, adminUrl, project, options.per ?? 'database', options.database) : await provisionMysql(admin, adminUrl, project);
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** Drops what provisionSource made. */
export async function dropProvisioned(adminUrl: string, made: Provisioned): Promise<void> {
  const admin = await openAdmin(made.kind, adminUrl);
  try {
    await (made.kind === 'postgres' ? dropPostgres(admin, made) : dropMysql(admin, made));
  } finally {
    await admin.close().catch(() => undefined);
  }
}

async function openAdmin(kind: 'postgres' | 'mysql', url: string): Promise<AdminRunner> {
  return kind === 'postgres' ? (await import('./postgres.js')).openAdmin(url) : (await import('./mysql.js')).openAdmin(url);
}

export function createAdapter(config: SourceConfig, deps: AdapterDeps = {}): Adapter {
  return new LazyAdapter(config.kind, () => loadBackend(config, deps));
}

/**
 * Forgets a removed source's change capture: its replication slot and publication (Postgres
 * with logical replication; nothing elsewhere) and what the relay keeps for it.
 */
export async function dropChangeCapture(config: SourceConfig, relay?: ChangeRelay): Promise<void> {
  if (config.kind !== 'postgres' || !config.captureKey) return;
  await (await import('./postgres.js')).dropPostgresCapture(config, config.captureKey);
  await relay?.drop(config.captureKey);
}

async function loadBackend(config: SourceConfig, deps: AdapterDeps): Promise<Adapter> {
  switch (config.kind) {
    case 'postgres':
      return (await import('./postgres.js')).createPostgresAdapter(config, deps);
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
