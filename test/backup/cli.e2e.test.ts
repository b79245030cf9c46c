import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAdapter } from '../../adapters/index.js';
import type { Manifest } from '../../actors/backup/index.js';
import { bootNode, mobo, tempDir, type BootedNode } from '../support/cli.js';
import { items, itemsTable } from './support.js';

describe('mobo backup:* end to end, through mobo boot', () => {
  const cwd = tempDir('mobo-backup-cli-');
  const file = join(cwd, 'app.db');
  let node: BootedNode | undefined;
  const sqlite = async <T>(fn: (a: ReturnType<typeof createAdapter>) => Promise<T>): Promise<T> => {
    const adapter = createAdapter({ kind: 'sqlite', url: file });
    await adapter.connect();
    try {
      return await fn(adapter);
    } finally {
      await adapter.close();
    }
  };
  const run = (...args: string[]) => mobo(args, { cwd });
  const json = async <T>(...args: string[]): Promise<T> => {
    const r = await run(...args, '--json');
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as T;
  };

  afterAll(async () => {
    if (node && node.proc.exitCode === null) node.proc.kill('SIGKILL');
    await node?.exited;
  });

  it('creates, lists, verifies, restores one project, prunes and schedules', async () => {
    await sqlite(async (a) => {
      await a.createTable(itemsTable('notes'));
      await a.insert('notes', items(25));
    });
    node = bootNode({ cwd });
    await node.ready;
    expect(node.lines.some((l) => /^POST\s+ops\s+backup\s+ok/.test(l))).toBe(true);
    expect((await run('project:create', 'app')).code).toBe(0);
    expect((await run('source:add', 'app', 'main', '--kind', 'sqlite', '--url', file)).code).toBe(0);

    const manifest = await json<Manifest>('backup:create', '--reason', 'e2e');
    expect(manifest.parts.find((p) => p.name === 'app/main')?.rows).toEqual({ notes: 25 });
    const listed = await json<Array<{ id: string; reason: string }>>('backup:list');
    expect(listed).toEqual([expect.objectContaining({ id: manifest.id, reason: 'e2e' })]);
    expect((await run('backup:list')).stdout).toMatch(/^ID\s+CREATED\s+SIZE/);

    const verified = await run('backup:verify', manifest.id);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(new RegExp(`backup ${manifest.id}: OK`));
    expect(verified.stdout).toMatch(/app\/main\s+source\s+1\s+25\s+ok\s+ok/);

    await sqlite((a) => a.dropTable('notes'));
    const restored = await run('backup:restore', manifest.id, '--project=app');
    expect(restored.code, restored.stderr).toBe(0);
    expect(await sqlite((a) => a.count({ table: 'notes' }))).toBe(25);
    const again = await run('backup:restore', manifest.id, '--project=app');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/BACKUP_TARGET_NOT_EMPTY/);
    const forced = await json<{ safetyBackup: string }>('backup:restore', manifest.id, '--project=app', '--force');
    expect(forced.safetyBackup).toBeTruthy();

    expect((await run('backup:verify', 'no-such-backup')).code).toBe(5);
    expect((await run('backup:restore')).code).toBe(2);

    const set = await run('backup:schedule', '--cron=0 3 * * *', '--keep=3');
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/^schedule: 0 3 \* \* \* \(UTC\), keep 3; next run \d{4}-\d\d-\d\dT03:00:00\.000Z/);
    expect(await json('backup:schedule')).toMatchObject({ schedule: { cron: '0 3 * * *', keep: 3 } });
    expect((await run('backup:schedule', '--cron=61 * * * *')).code).toBe(1);
    expect(await json('backup:schedule', '--off')).toEqual({ schedule: null, next: null, timezone: 'UTC' });

    expect((await run('backup:prune')).code).toBe(2);
    expect((await run('backup:prune', '--older-than=soon')).code).toBe(2);
    const pruned = await json<{ removed: string[]; kept: string[] }>('backup:prune', '--keep=1');
    expect(pruned.removed).toContain(manifest.id);
    expect(pruned.kept).toEqual([forced.safetyBackup]);

    expect((await run('shutdown')).code).toBe(0);
    expect(await node.exited).toBe(0);
    // About twenty CLI processes, each a second or more on a busy box.
  }, 120_000);
});
