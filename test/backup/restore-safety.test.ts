/**
 * The restore of issue 10 through a node, as `mobo backup:restore <id> --project P --force`
 * runs it: a project whose Postgres, SQLite and MariaDB sources hold a table `order-items` with
 * a column `Odd"Name` (and identity, defaults, checks, foreign keys, indexes) and whose Redis
 * source holds a table of rows. The restore gives back the exact schema and rows, and inserts
 * use the defaults and next keys again. A failure injected through the backup slot's
 * checkpoint hook at every point of every target leaves every source as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest, RestoreReport } from '../../actors/backup/index.js';
import type { RestorePoint } from '../../actors/backup/restore.js';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import type { MoboNode } from '../../actors/node.js';
import { MoboError } from '../../runtime/errors.js';
import { tempDir } from '../support/cli.js';
import { openHarness, type Harness, type SqlKind } from './exact.js';
import { ODD_COLUMN, ODD_TABLE, schemaSql } from './exact-fixtures.js';
import { BackupJobs, REDIS_URL, items, itemsTable, startBackupNode } from './support.js';
import { Redis } from 'ioredis';

const KINDS: SqlKind[] = ['postgres', 'sqlite', 'mysql'];
/** Every step of a staged restore (the SQL backends, and Redis: staged keys swapped in one MULTI). */
const STAGED_POINTS: RestorePoint[] = ['staged', 'created', 'rows', 'constraints', 'checked', 'swap'];

describe('backup:restore --project P --force on odd names, through a node', () => {
  const dir = tempDir('mobo-restore-safety-');
  const redisNs = `mobo_rs_${Math.random().toString(36).slice(2, 8)}`;
  const harness = {} as Record<SqlKind, Harness>;
  let failAt: { target: string; point: RestorePoint } | undefined;
  let node: MoboNode;
  let jobs: BackupJobs;
  let manifest: Manifest;
  const data = (source: string) => new DataClient(node.system.ref(sourceAddress('odd', source)));
  const catalog = () => node.system.ref(node.address('catalog'));

  /** Every source as its backend shows it: schema text and rows (Redis: the table's rows). */
  async function state(): Promise<unknown> {
    const out: Record<string, unknown> = {};
    for (const kind of KINDS) out[kind] = { schema: await harness[kind].schema(), rows: await harness[kind].rows() };
    out['redis'] = await data('redis').select({ table: 'things', order: [{ column: 'id', direction: 'asc' }] });
    return out;
  }

  beforeAll(async () => {
    for (const kind of KINDS) {
      harness[kind] = await openHarness(kind, dir, `rs${kind.slice(0, 2)}`);
      await harness[kind].exec(schemaSql[kind]);
    }
    // Trigger capture here (backup.test.ts restores Postgres sources on logical capture); the
    // capture's own objects are left out of the pg_dump comparison (exact.ts).
    node = await startBackupNode(
      dir,
      {
        restoreCheckpoint: (target, point) => {
          if (failAt && target === failAt.target && point === failAt.point) throw new MoboError('BACKUP_CORRUPT', `injected at ${target} ${point}`);
        },
      },
      { MOBO_DS__CHANGES: 'trigger' },
    );
    jobs = new BackupJobs(node);
    await catalog().ask('project.create', { project: 'odd' });
    for (const kind of KINDS) {
      const { url, namespace } = harness[kind].source;
      await catalog().ask('source.add', { project: 'odd', name: kind, kind, url, ...(namespace ? { namespace } : {}) }, { timeoutMs: 15_000 });
    }
    await catalog().ask('source.add', { project: 'odd', name: 'redis', kind: 'redis', url: REDIS_URL, namespace: redisNs }, { timeoutMs: 15_000 });
    await data('redis').createTable(itemsTable('things'));
    await data('redis').insert('things', items(30), false);
    manifest = await jobs.result<Manifest>('backup.create', { reason: 'odd names' });
  }, 90_000);

  afterAll(async () => {
    jobs?.close();
    await node?.stop();
    for (const kind of KINDS) await harness[kind]?.drop();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${redisNs}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('restores the exact schema and rows of every source, and inserts use the defaults and next keys again', async () => {
    const before = await state();
    const nextKeys: Record<string, unknown> = {};
    for (const kind of KINDS) {
      const [row] = await data(kind).insert(ODD_TABLE, [{ [ODD_COLUMN]: 'after the backup' }]);
      nextKeys[kind] = row!['id'];
      await harness[kind].exec(kind === 'mysql' ? 'DELETE FROM `Parent Table`' : 'DELETE FROM "Parent Table"');
    }
    await data('redis').insert('things', items(5, 1000), false);

    const report = await jobs.result<RestoreReport>('backup.restore', { id: manifest.id, project: 'odd', force: true });
    expect(report.parts.map((p) => p.name).sort()).toEqual(['odd/mysql', 'odd/postgres', 'odd/redis', 'odd/sqlite']);
    expect(report.safetyBackup).toBeTruthy();
    expect(await state()).toEqual(before);

    for (const kind of KINDS) {
      // The todos of the issue: a row given only one column gets every default and the next key it got before.
      const [row] = await data(kind).insert(ODD_TABLE, [{ [ODD_COLUMN]: 'after the restore' }]);
      expect(row!['id']).toBe(nextKeys[kind]);
      expect(row!['select'] ?? row!['doc']).not.toBeNull();
      await data(kind).delete(ODD_TABLE, { op: 'eq', column: 'id', value: row!['id'] as number }, false);
    }
  });

  const cases = [...KINDS, 'redis'].flatMap((kind) => STAGED_POINTS.map((point) => ({ target: `odd/${kind}`, point })));
  it.each(cases.map((c, i) => ({ ...c, i })))('leaves every source as it was when the restore fails at $target $point', async ({ target, point, i }) => {
    const live = `live ${i}`;
    for (const kind of KINDS) await harness[kind].exec(kind === 'mysql' ? `INSERT INTO \`Parent Table\` VALUES ('${live}')` : `INSERT INTO "Parent Table" (k) VALUES ('${live}')`);
    await data('redis').insert('things', items(1, 5000 + i), false);
    const before = await state();
    failAt = { target, point };
    try {
      const failed = await jobs.run('backup.restore', { id: manifest.id, project: 'odd', force: true });
      // Before anything is written the failure itself is the answer; after, a rollback that worked.
      expect(failed.state).toBe('failed');
      if (failed.error?.code === 'BACKUP_RESTORE_FAILED') expect(failed.error.details).toMatchObject({ rolledBack: true });
      else expect(failed.error).toMatchObject({ code: 'BACKUP_CORRUPT', message: expect.stringMatching(/injected/) });
    } finally {
      failAt = undefined;
    }
    expect(await state()).toEqual(before);
    for (const kind of KINDS) expect(await harness[kind].leftovers()).toEqual([]);
    // Back to the archive's state for the next case.
    await jobs.result('backup.restore', { id: manifest.id, project: 'odd', force: true });
  });
});
