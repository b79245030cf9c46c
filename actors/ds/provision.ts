import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { derivedName, dropProvisioned, postgresTarget, provisionSource } from '../../adapters/index.js';
import type { Provisioned, SourceConfig } from '../../adapters/index.js';
import type { MoboConfig } from '../../config/index.js';

type DsConfig = MoboConfig['ds'];

/** What the catalog keeps of a provisioned source to drop it again (never its password: that is in the sealed URL). */
export type ProvisionRecord = { kind: 'sqlite'; file: string } | Omit<Provisioned, 'url'>;

/**
 * A project's default source (`project.create` with `source`): a SQLite file of its own under
 * `<dataDir>/projects/` when no server is configured; with `ds.provision.postgres.url`, a
 * database (or schema, `per: 'schema'`) and login role per project on that cluster; else with
 * `ds.provision.mysql.url`, a database and user per project there.
 */
export class Provisioner {
  constructor(
    private readonly dataDir: string,
    private readonly config: DsConfig['provision'],
  ) {}

  async create(project: string): Promise<{ kind: SourceConfig['kind']; url: string; provisioned: ProvisionRecord }> {
    const { postgres, mysql } = this.config;
    if (postgres) {
      const made = await provisionSource('postgres', postgres.url, project, { per: postgres.per, ...(postgres.database ? { database: postgres.database } : {}) });
      return { kind: 'postgres', url: made.url, provisioned: record(made) };
    }
    if (mysql) {
      const made = await provisionSource('mysql', mysql.url, project);
      return { kind: 'mysql', url: made.url, provisioned: record(made) };
    }
    const dir = resolve(this.dataDir, 'projects');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${derivedName(project)}.db`);
    return { kind: 'sqlite', url: file, provisioned: { kind: 'sqlite', file } };
  }

  async drop(made: ProvisionRecord): Promise<void> {
    if (made.kind === 'sqlite') {
      await Promise.all(['', '-wal', '-shm'].map((suffix) => rm(`${made.file}${suffix}`, { force: true })));
      return;
    }
    const admin = made.kind === 'postgres' ? this.config.postgres?.url : this.config.mysql?.url;
    if (admin) await dropProvisioned(admin, { ...made, url: '' });
  }
}

function record(made: Provisioned): ProvisionRecord {
  const { url: _url, ...rest } = made;
  return rest;
}

/** A source's settings from the node's `ds` section: its server's budget, the idle timeout. */
export function sourceConfig(ds: DsConfig, source: Pick<SourceConfig, 'kind' | 'url'>): SourceConfig {
  const config: SourceConfig = { ...source, pool: { idleTimeoutMs: ds.idleTimeoutMs } };
  if (source.kind !== 'postgres') return config;
  const server = postgresTarget(source.url).server;
  const limit = ds.servers[server]?.budget ?? ds.budget;
  config.budget = { waitMs: ds.budgetWaitMs, ...(limit !== undefined ? { limit } : {}) };
  config.changes = ds.changes;
  return config;
}
