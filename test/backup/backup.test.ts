import { copyFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveSummary, Manifest, RestoreReport, VerifyReport } from '../../actors/backup/index.js';
import { ArchiveReader } from '../../actors/backup/archive-reader.js';
import { ArchiveWriter } from '../../actors/backup/archive-writer.js';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import type { MoboNode } from '../../actors/node.js';
import { tempDir } from '../support/cli.js';
import { BackupJobs, isolatedSources, items, itemsTable, startBackupNode } from './support.js';

describe('MagBackup on a node with every available source', () => {
  const dir = tempDir('mobo-backup-');
  const suffix = Math.random().toString(36).slice(2, 8);
  const table = `items_${suffix}`;
  let node: MoboNode;
  let jobs: BackupJobs;
  let iso: Awaited<ReturnType<typeof isolatedSources>>;
  let kinds: string[];
  const catalog = () => node.system.ref(node.address('catalog'));
  const data = (project: string, source: string) => new DataClient(node.system.ref(sourceAddress(project, source)));
  const all = { table, order: [{ column: 'id', direction: 'asc' as const }] };
  const archive = (id: string) => join(dir, 'backups', `${id}.mobo`);

  beforeAll(async () => {
    iso = await isolatedSources(dir, 'main');
    kinds = Object.keys(iso.sources);
    node = await startBackupNode(dir);
    jobs = new BackupJobs(node);
    await catalog().ask('project.create', { project: 'shop' });
    for (const kind of kinds) {
      const s = iso.sources[kind]!;
      await catalog().ask('source.add', { project: 'shop', name: kind, kind: s.kind, url: s.url, ...(s.namespace ? { namespace: s.namespace } : {}) }, { timeoutMs: 15_000 });
      await data('shop', kind).createTable(itemsTable(table));
      await data('shop', kind).insert(table, items(120), false);
    }
    await catalog().ask('project.create', { project: 'blog' });
    await catalog().ask('source.add', { project: 'blog', name: 'main', kind: 'sqlite', url: join(dir, 'blog.db') });
    await data('blog', 'main').createTable(itemsTable('posts'));
    await data('blog', 'main').insert('posts', items(40), false);
  }, 60_000);

  afterAll(async () => {
    jobs?.close();
    await node?.stop();
    await iso?.drop();
  });

  it('backs up every source, verifies it, and after a wipe restores the whole system to equal query results', async () => {
    const before = await Promise.all(kinds.map((k) => data('shop', k).select(all)));
    const manifest = await jobs.result<Manifest>('backup.create', { reason: 'test' });
    expect(manifest.parts.map((p) => p.name)).toEqual(['config', 'control', 'blog/main', ...kinds.map((k) => `shop/${k}`).sort()]);
    for (const kind of kinds) expect(manifest.parts.find((p) => p.name === `shop/${kind}`)?.rows).toEqual({ [table]: 120 });
    expect(manifest.parts.find((p) => p.name === 'control')?.rows).toMatchObject({ mobo_projects: 2, mobo_sources: kinds.length + 1 });
    for (const p of manifest.parts) expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);

    const report = await jobs.result<VerifyReport>('backup.verify', { id: manifest.id });
    expect(report.ok).toBe(true);
    expect(report.parts.filter((p) => p.kind !== 'config').every((p) => p.trial === 'ok')).toBe(true);

    // The config in the archive carries no key.
    const reader = await ArchiveReader.open(archive(manifest.id), undefined);
    const [configRecord] = await collect(reader.records('config'));
    await reader.close();
    expect(JSON.stringify(configRecord)).not.toMatch(/"key"/);

    // Wipe: every table, and the project with its sources.
    for (const kind of kinds) await data('shop', kind).dropTable(table);
    await catalog().ask('project.delete', { project: 'shop', force: true });

    const refused = await jobs.run('backup.restore', { id: manifest.id });
    expect(refused).toMatchObject({ state: 'failed', error: { code: 'BACKUP_TARGET_NOT_EMPTY' } });

    const restored = await jobs.result<RestoreReport>('backup.restore', { id: manifest.id, force: true });
    expect(restored.skipped).toEqual(['config']);
    expect(restored.safetyBackup).toBeTruthy();
    const projects = await catalog().ask<Array<{ project: string; sources: number }>>('project.list');
    expect(projects.find((p) => p.project === 'shop')?.sources).toBe(kinds.length);
    const after = await Promise.all(kinds.map((k) => data('shop', k).select(all)));
    expect(after).toEqual(before);
  });

  it('restores one project alone, refuses to overwrite without force, and replaces with force', async () => {
    const before = await data('blog', 'main').select({ table: 'posts', order: [{ column: 'id', direction: 'asc' }] });
    const { id } = await jobs.result<Manifest>('backup.create', {});
    await data('blog', 'main').dropTable('posts');
    const restored = await jobs.result<RestoreReport>('backup.restore', { id, project: 'blog' });
    expect(restored.parts.map((p) => p.name)).toEqual(['blog/main']);
    expect(await data('blog', 'main').select({ table: 'posts', order: [{ column: 'id', direction: 'asc' }] })).toEqual(before);

    await data('blog', 'main').insert('posts', items(1, 1000), false);
    const refused = await jobs.run('backup.restore', { id, project: 'blog' });
    expect(refused).toMatchObject({ state: 'failed', error: { code: 'BACKUP_TARGET_NOT_EMPTY' } });
    expect(await data('blog', 'main').count('posts')).toBe(41);
    await jobs.result('backup.restore', { id, project: 'blog', force: true });
    expect(await data('blog', 'main').count('posts')).toBe(40);

    await expect(jobs.run('backup.restore', { id, project: 'nope' })).resolves.toMatchObject({ state: 'failed', error: { code: 'BACKUP_NOT_FOUND' } });
  });

  it('detects corrupted and truncated archives in verify, and restore refuses them without writing', async () => {
    const { id } = await jobs.result<Manifest>('backup.create', {});
    const corrupt = `${id}-corrupt`;
    const truncated = `${id}-truncated`;
    copyFileSync(archive(id), archive(corrupt));
    copyFileSync(archive(id), archive(truncated));
    const bytes = readFileSync(archive(corrupt));
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(archive(corrupt), bytes);
    truncateSync(archive(truncated), Math.floor(bytes.length * 0.7));

    await data('blog', 'main').insert('posts', items(1, 2000), false);
    const listed = (await jobs.ref().ask<ArchiveSummary[]>('backup.list')).length;
    for (const broken of [corrupt, truncated]) {
      expect(await jobs.run('backup.verify', { id: broken })).toMatchObject({ state: 'failed', error: { code: 'BACKUP_CORRUPT' } });
      expect(await jobs.run('backup.restore', { id: broken, project: 'blog', force: true })).toMatchObject({ state: 'failed', error: { code: 'BACKUP_CORRUPT' } });
      expect(await jobs.run('backup.restore', { id: broken, force: true })).toMatchObject({ state: 'failed', error: { code: 'BACKUP_CORRUPT' } });
    }
    // Nothing was written: the row added after the backup is still there, and no safety copy was taken.
    expect(await data('blog', 'main').count('posts', { op: 'eq', column: 'id', value: 2000 })).toBe(1);
    expect((await jobs.ref().ask<ArchiveSummary[]>('backup.list')).length).toBe(listed);
    const summaries = await jobs.ref().ask<ArchiveSummary[]>('backup.list');
    expect(summaries.find((s) => s.id === truncated)?.problem).toMatch(/BACKUP_CORRUPT/);
  });

  it('puts the previous data back when a restore fails half way', async () => {
    const { id, parts } = await jobs.result<Manifest>('backup.create', {});
    const blog = parts.find((p) => p.name === 'blog/main')!;
    const before = await data('blog', 'main').select({ table: 'posts', order: [{ column: 'id', direction: 'asc' }] });
    // A well-formed archive whose second table cannot be inserted (duplicate keys).
    const badId = `${id}-bad`;
    const writer = await ArchiveWriter.create(archive(badId), { id: badId, node: 'node1', moboVersion: 'test', createdAt: new Date().toISOString(), reason: 'test' }, undefined);
    const { sha256: _s, bytes: _b, records: _r, rows: _rows, snapshotAt: _t, start: _st, ...meta } = blog;
    const part = writer.part(meta, new Date());
    await part.write({ kind: 'table', table: itemsTable('posts') });
    await part.write({ kind: 'rows', table: 'posts', rows: items(5) });
    await part.write({ kind: 'table', table: itemsTable('dupes') });
    await part.write({ kind: 'rows', table: 'dupes', rows: [...items(2), ...items(2)] });
    part.end();
    await writer.finish(new Date());

    const failed = await jobs.run('backup.restore', { id: badId, project: 'blog', force: true });
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'BACKUP_RESTORE_FAILED', details: { rolledBack: true } } });
    expect(await data('blog', 'main').select({ table: 'posts', order: [{ column: 'id', direction: 'asc' }] })).toEqual(before);
    const tables = (await data('blog', 'main').schema(true)).tables.map((t) => t.name);
    expect(tables).not.toContain('dupes');
  });

  it('keeps serving during a backup, and has every write acknowledged before the snapshot', async () => {
    const load = `load_${suffix}`;
    const pgData = data('shop', 'postgres');
    await pgData.createTable(itemsTable(load));
    const acked = new Map<number, number>();
    let stop = false;
    let duringBackup = 0;
    let running = false;
    let started!: () => void;
    const warm = new Promise<void>((r) => (started = r));
    const loop = (async () => {
      for (let i = 1; !stop; i++) {
        await pgData.insert(load, [{ id: i, name: `w${i}`, qty: i, ok: true }], false);
        acked.set(i, Date.now());
        if (running) duringBackup++;
        if (i === 20) started();
      }
    })();
    await warm;
    running = true;
    const manifest = await jobs.result<Manifest>('backup.create', { reason: 'under load' });
    running = false;
    stop = true;
    await loop;

    const part = manifest.parts.find((p) => p.name === 'shop/postgres')!;
    const snapshotAt = Date.parse(part.snapshotAt);
    const reader = await ArchiveReader.open(archive(manifest.id), undefined);
    const ids = new Set<number>();
    for (const record of await collect(reader.records(part.name))) {
      // Postgres rows travel as COPY text: the id is each line's first field.
      if (record.kind === 'copy' && record.table === load) for (const line of record.data.split('\n').filter(Boolean)) ids.add(Number(line.split('\t')[0]));
    }
    await reader.close();
    const mustHave = [...acked].filter(([, at]) => at < snapshotAt).map(([i]) => i);
    expect(mustHave.length).toBeGreaterThanOrEqual(20);
    expect(mustHave.filter((i) => !ids.has(i))).toEqual([]);
    expect(duringBackup).toBeGreaterThan(0);
    await pgData.dropTable(load);
  });

  it('prunes by count and by age', async () => {
    const listed = await jobs.ref().ask<ArchiveSummary[]>('backup.list');
    expect(listed.length).toBeGreaterThan(3);
    const dry = await jobs.ref().ask<{ removed: string[]; kept: string[] }>('backup.prune', { keep: 2, dryRun: true });
    expect(dry.kept).toHaveLength(2);
    expect((await jobs.ref().ask<ArchiveSummary[]>('backup.list')).length).toBe(listed.length);
    const newest = [...listed].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).slice(-2).map((b) => b.id);
    const pruned = await jobs.ref().ask<{ removed: string[]; kept: string[] }>('backup.prune', { keep: 2 });
    expect(pruned.kept.sort()).toEqual(newest.sort());
    expect((await jobs.ref().ask<ArchiveSummary[]>('backup.list')).map((b) => b.id).sort()).toEqual(newest.sort());
    const byAge = await jobs.ref().ask<{ removed: string[] }>('backup.prune', { olderThanMs: 86_400_000 });
    expect(byAge.removed).toEqual([]);
    await expect(jobs.ref().ask('backup.prune', {})).rejects.toMatchObject({ code: 'MESSAGE_INVALID' });
  });
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
