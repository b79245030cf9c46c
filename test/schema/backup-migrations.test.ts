import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../actors/backup/index.js';
import type { MoboNode } from '../../actors/node.js';
import { BackupJobs, startBackupNode } from '../backup/support.js';
import { tempDir } from '../support/cli.js';
import { schemaSource } from '../support/schema.js';

type Status = { migrations: Array<{ id: string; status: string }> };

/** A backup holds `mobo_migrations` with the tables: after a restore, migrate:status says what the restored schema is. */
describe.each(['postgres', 'sqlite', 'mysql'] as const)('migrations through a backup and restore on %s', (kind) => {
  const dir = tempDir('mobo-backup-migrations-');
  const folder = join(dir, 'migrations', 'shop', 'main');
  const at = { project: 'shop', source: 'main' };
  let node: MoboNode;
  let jobs: BackupJobs;
  let drop: () => Promise<void>;
  const schema = (type: string, payload: unknown) => node.system.ref(node.address('schema')).ask<any>(type, payload, { timeoutMs: 120_000 });
  const q = (s: string) => (kind === 'mysql' ? `\`${s}\`` : `"${s}"`);
  const migration = (id: string, table: string) =>
    writeFileSync(join(folder, `${id}_${table}.sql`), `-- migrate:up\nCREATE TABLE ${q(table)} (${q('id')} integer PRIMARY KEY);\n-- migrate:down\nDROP TABLE ${q(table)};\n`);
  const statuses = async () => ((await schema('migrate.status', at)) as Status).migrations.map((m) => `${m.id}:${m.status}`);
  const tables = async () =>
    (await node.system.ref('ds.shop.main').ask<{ tables: Array<{ name: string }> }>('ds.schema', { refresh: true })).tables.map((t) => t.name).filter((n) => !n.startsWith('mobo_')).sort();

  beforeAll(async () => {
    const source = await schemaSource(kind);
    drop = source.drop;
    mkdirSync(folder, { recursive: true });
    node = await startBackupNode(dir);
    jobs = new BackupJobs(node);
    const catalog = node.system.ref(node.address('catalog'));
    await catalog.ask('project.create', { project: 'shop' });
    await catalog.ask('source.add', { project: 'shop', name: 'main', ...source.config }, { timeoutMs: 15_000 });
  }, 60_000);
  afterAll(async () => {
    jobs?.close();
    await node?.stop();
    await drop?.();
  });

  it('restores mobo_migrations with the tables, so status matches the schema again', async () => {
    migration('20260101000001', 'alpha');
    migration('20260101000002', 'beta');
    expect((await schema('migrate.up', at)).applied).toHaveLength(2);
    const manifest = await jobs.result<Manifest>('backup.create', { reason: 'test' });
    expect(JSON.stringify(manifest)).toContain('mobo_migrations');

    // After the backup: beta reverted, gamma written and applied.
    expect((await schema('migrate.down', at)).reverted).toEqual(['20260101000002_beta']);
    migration('20260101000003', 'gamma');
    await schema('migrate.up', at);
    expect(await statuses()).toEqual(['20260101000001_alpha:applied', '20260101000002_beta:applied', '20260101000003_gamma:applied']);
    await schema('migrate.down', { ...at, steps: 2 });
    expect(await statuses()).toEqual(['20260101000001_alpha:applied', '20260101000002_beta:pending', '20260101000003_gamma:pending']);
    expect(await tables()).toEqual(['alpha']);

    await jobs.result('backup.restore', { id: manifest.id, project: 'shop', force: true });
    // What the backup held: alpha and beta applied, their tables there; gamma pending, its table absent.
    expect(await statuses()).toEqual(['20260101000001_alpha:applied', '20260101000002_beta:applied', '20260101000003_gamma:pending']);
    expect(await tables()).toEqual(['alpha', 'beta']);
    expect(await schema('db.diff', at)).toEqual({ missing: ['gamma'], extra: [], different: [], pending: ['20260101000003_gamma'], changed: [] });
    // And the migrations carry on from there.
    expect((await schema('migrate.up', at)).applied).toEqual(['20260101000003_gamma']);
    expect((await schema('migrate.down', at)).reverted).toEqual(['20260101000003_gamma']);
  });
});
