import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Manifest, RestoreReport } from '../../actors/backup/index.js';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import type { MoboNode } from '../../actors/node.js';
import { derivedName } from '../../adapters/index.js';
import { tempDir } from '../support/cli.js';
import { pgQuery } from '../support/sql.js';
import { BackupJobs, items, itemsTable, startBackupNode } from './support.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

/**
 * A project whose default source was provisioned on a Postgres cluster (issue 19: "included in
 * backups"): a database of its own, or a schema of its own in a shared database. Its data is in
 * the node's backup, comes back from it, and `project:delete --force` drops what was made.
 */
const ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';
const tag = Math.random().toString(36).slice(2, 8);
const count = async (url: string, sql: string, params: unknown[]) => (await pgQuery<{ n: number }>(url, sql, params))[0]!.n;

describe('a provisioned Postgres project is backed up, restored and dropped with the project', () => {
  const nodes: Array<{ node: MoboNode; jobs: BackupJobs }> = [];
  const shared = `mobo_bkp_prov_${tag}`;
  afterAll(async () => {
    for (const n of nodes) {
      n.jobs.close();
      await n.node.stop();
    }
    await pgQuery(ADMIN, `DROP DATABASE IF EXISTS "${shared}" WITH (FORCE)`);
  });

  const modes = [
    { per: 'database', adminUrl: ADMIN },
    { per: 'schema', adminUrl: `postgres://postgres@127.0.0.1:5432/${shared}` },
  ] as const;

  for (const mode of modes) {
    it(`a ${mode.per} per project`, async () => {
      if (mode.per === 'schema') await pgQuery(ADMIN, `CREATE DATABASE "${shared}"`);
      const node = await startBackupNode(tempDir('mobo-bkp-prov-'), {}, { MOBO_DS__PROVISION__POSTGRES__URL: mode.adminUrl, MOBO_DS__PROVISION__POSTGRES__PER: mode.per });
      const jobs = new BackupJobs(node);
      nodes.push({ node, jobs });
      const project = `prov-${mode.per}-${tag}`;
      const name = derivedName(project);
      const catalog = node.system.ref(node.address('catalog'));
      await catalog.ask('project.create', { project, source: 'db' }, { timeoutMs: 30_000 });
      const data = new DataClient(node.system.ref(sourceAddress(project, 'db')));
      await data.createTable(itemsTable('things'));
      await data.insert('things', items(30), false);
      const all = { table: 'things', order: [{ column: 'id', direction: 'asc' as const }] };
      const before = await data.select(all);

      const manifest = await jobs.result<Manifest>('backup.create', { reason: 'provisioned' });
      expect(JSON.stringify(manifest)).toContain(`${project}/db`);
      await data.dropTable('things');
      const restored = await jobs.result<RestoreReport>('backup.restore', { id: manifest.id, project });
      expect(restored.parts.map((p) => p.name)).toEqual([`${project}/db`]);
      expect(await data.select(all)).toEqual(before);
      // Restored where the project lives: its own database, or its own schema.
      const where = mode.per === 'database' ? `postgres://postgres@127.0.0.1:5432/${name}` : mode.adminUrl;
      expect(await count(where, `SELECT count(*)::int AS n FROM "${mode.per === 'database' ? 'public' : name}".things`, [])).toBe(30);

      await catalog.ask('project.delete', { project, force: true }, { timeoutMs: 30_000 });
      if (mode.per === 'database') expect(await count(ADMIN, 'SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [name])).toBe(0);
      else expect(await count(mode.adminUrl, 'SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [name])).toBe(0);
      expect(await count(ADMIN, 'SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1', [name])).toBe(0);
    });
  }
});
