import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ArchiveSummary, Manifest, VerifyReport } from '../../actors/backup/index.js';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import type { MoboNode } from '../../actors/node.js';
import { tempDir } from '../support/cli.js';
import { BackupJobs, items, itemsTable, startBackupNode } from './support.js';

describe('MagBackup encryption (AES-256-GCM, key outside the archive)', () => {
  const running: Array<{ node: MoboNode; jobs: BackupJobs }> = [];
  const start = async (dir: string, key?: string) => {
    const node = await startBackupNode(dir, key ? { key } : {});
    const entry = { node, jobs: new BackupJobs(node) };
    running.push(entry);
    return entry;
  };
  afterEach(async () => {
    for (const { node, jobs } of running.splice(0)) {
      jobs.close();
      await node.stop();
    }
  });

  it('encrypts archives; a wrong or missing key is refused with a clear code and nothing is written', async () => {
    const dir = tempDir('mobo-backup-key-');
    const key = randomBytes(32).toString('base64');
    const secret = `sentinel-${randomBytes(6).toString('hex')}`;
    const first = await start(dir, key);
    const catalog = first.node.system.ref(first.node.address('catalog'));
    const data = new DataClient(first.node.system.ref(sourceAddress('vault', 'main')));
    await catalog.ask('project.create', { project: 'vault' });
    await catalog.ask('source.add', { project: 'vault', name: 'main', kind: 'sqlite', url: join(dir, 'vault.db') });
    await data.createTable(itemsTable('notes'));
    await data.insert('notes', [{ id: 1, name: secret, qty: 1, ok: true }], false);

    const manifest = await first.jobs.result<Manifest>('backup.create', {});
    expect(manifest.encrypted).toBe(true);
    const file = readFileSync(join(dir, 'backups', `${manifest.id}.mobo`));
    expect(file.includes(secret)).toBe(false);
    expect(file.includes(Buffer.from(key, 'base64'))).toBe(false);
    expect(file.includes(key)).toBe(false);
    expect((await first.jobs.result<VerifyReport>('backup.verify', { id: manifest.id })).ok).toBe(true);
    await data.insert('notes', [{ id: 2, name: 'after the backup', qty: 2, ok: false }], false);
    await first.node.stop();
    running.splice(0);

    const wrong = await start(dir, randomBytes(32).toString('base64'));
    const wrongData = new DataClient(wrong.node.system.ref(sourceAddress('vault', 'main')));
    expect(await wrong.jobs.run('backup.verify', { id: manifest.id })).toMatchObject({ state: 'failed', error: { code: 'BACKUP_KEY_INVALID' } });
    expect(await wrong.jobs.run('backup.restore', { id: manifest.id, project: 'vault', force: true })).toMatchObject({ state: 'failed', error: { code: 'BACKUP_KEY_INVALID' } });
    expect(await wrongData.count('notes')).toBe(2);
    const listed = await wrong.jobs.ref().ask<ArchiveSummary[]>('backup.list');
    expect(listed).toEqual([expect.objectContaining({ id: manifest.id, encrypted: true, problem: expect.stringMatching(/BACKUP_KEY_INVALID/) })]);
    await wrong.node.stop();
    running.splice(0);

    const none = await start(dir);
    expect(await none.jobs.run('backup.verify', { id: manifest.id })).toMatchObject({ state: 'failed', error: { code: 'BACKUP_KEY_REQUIRED' } });
    await none.node.stop();
    running.splice(0);

    const right = await start(dir, key);
    await right.jobs.result('backup.restore', { id: manifest.id, project: 'vault', force: true });
    const rows = await new DataClient(right.node.system.ref(sourceAddress('vault', 'main'))).select({ table: 'notes' });
    expect(rows).toEqual([{ id: 1, name: secret, qty: 1, ok: true }]);
  });

  it('refuses a key that is not 32 bytes', async () => {
    await expect(startBackupNode(tempDir('mobo-backup-key-'), { key: Buffer.from('short').toString('base64') })).rejects.toThrow(/32 bytes/);
  });
});

describe('MagBackup archive rows', () => {
  it('round-trips bytes, json, nulls and timestamps through an archive', async () => {
    const dir = tempDir('mobo-backup-types-');
    const node = await startBackupNode(dir);
    const jobs = new BackupJobs(node);
    try {
      const catalog = node.system.ref(node.address('catalog'));
      await catalog.ask('project.create', { project: 'types' });
      await catalog.ask('source.add', { project: 'types', name: 'main', kind: 'sqlite', url: join(dir, 'types.db') });
      const data = new DataClient(node.system.ref(sourceAddress('types', 'main')));
      await data.createTable({
        name: 'things',
        primaryKey: ['id'],
        columns: [
          { name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false },
          { name: 'blob', type: 'bytes', nativeType: 'blob', nullable: true, hasDefault: false },
          { name: 'doc', type: 'json', nativeType: 'json', nullable: true, hasDefault: false },
          { name: 'at', type: 'timestamp', nativeType: 'timestamp', nullable: true, hasDefault: false },
          { name: 'score', type: 'float', nativeType: 'real', nullable: true, hasDefault: false },
        ],
      });
      await data.insert('things', [
        { id: 1, blob: Buffer.from([0, 1, 2, 255]), doc: { a: [1, 'two', null], b: { c: true } }, at: '2024-02-29T12:34:56.789Z', score: 1.5 },
        { id: 2, blob: null, doc: null, at: null, score: null },
      ], false);
      const before = await data.select({ table: 'things', order: [{ column: 'id', direction: 'asc' }] });
      const { id } = await jobs.result<Manifest>('backup.create', {});
      await data.dropTable('things');
      await jobs.result('backup.restore', { id, project: 'types' });
      expect(await data.select({ table: 'things', order: [{ column: 'id', direction: 'asc' }] })).toEqual(before);
      expect(Buffer.isBuffer(before[0]!.blob)).toBe(true);
    } finally {
      jobs.close();
      await node.stop();
    }
  });
});
