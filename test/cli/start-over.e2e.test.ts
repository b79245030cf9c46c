import { existsSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bootNode, mobo, tempDir, type BootedNode } from '../support/cli.js';

const json = <T>(text: string): T => JSON.parse(text) as T;

describe('a lost control store: boot refused, mobo init --force, restore', () => {
  const nodes: BootedNode[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0)) {
      if (n.proc.exitCode === null) n.proc.kill('SIGKILL');
      await n.exited;
    }
  });

  const boot = async (cwd: string): Promise<BootedNode> => {
    const node = bootNode({ cwd });
    nodes.push(node);
    await node.ready;
    return node;
  };

  it('refuses an emptied control.db, starts over with init --force, and brings the data back from a backup', { timeout: 90_000 }, async () => {
    const cwd = tempDir('mobo-start-over-');
    const dataDir = join(cwd, '.mobo');
    const run = (...args: string[]) => mobo(args, { cwd, env: { MOBO_HTTP_PORT: '0' } });
    expect((await run('init')).code).toBe(0);

    const first = await boot(cwd);
    expect((await run('project:create', 'shop-1')).code).toBe(0);
    const backup = json<{ id: string }>((await run('backup:create', '--json')).stdout);
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    truncateSync(join(dataDir, 'control.db'), 0);
    const refused = await run('boot', '--json');
    expect(refused.code).toBe(1);
    const error = json<{ error: { code: string; message: string } }>(refused.stderr.split('\n').find((l) => l.startsWith('{"error"'))!).error;
    expect(error.code).toBe('CONTROL_STORE_MISSING');
    expect(error.message).toContain('mobo init --force');
    // A plain `mobo init` does not touch a used data directory.
    expect((await run('init')).code).not.toBe(0);

    const over = await run('init', '--force', '--json');
    expect(over.code).toBe(0);
    const result = json<{ setAside: string; moved: string[] }>(over.stdout);
    expect(result.moved).toContain('control.db');
    // Nothing deleted: the old (empty) store sits in the set-aside folder, owner-only.
    expect(statSync(join(result.setAside, 'control.db')).size).toBe(0);
    expect(statSync(result.setAside).mode & 0o777).toBe(0o700);
    expect(existsSync(join(dataDir, 'secret.key'))).toBe(true);
    expect(readdirSync(join(dataDir, 'backups')).some((name) => name.startsWith(backup.id))).toBe(true);

    const second = await boot(cwd);
    expect(json<unknown[]>((await run('project:list', '--json')).stdout)).toEqual([]);
    // init --force is refused while a node runs on the data directory.
    const busy = await run('init', '--force', '--json');
    expect(busy.code).not.toBe(0);
    expect(busy.stderr).toContain('NODE_RUNNING');
    expect(json<Array<{ id: string }>>((await run('backup:list', '--json')).stdout).map((b) => b.id)).toContain(backup.id);
    const restored = await run('backup:restore', backup.id, '--force', '--json');
    expect(restored.code, restored.stderr).toBe(0);
    expect(json<Array<{ project: string }>>((await run('project:list', '--json')).stdout).map((p) => p.project)).toEqual(['shop-1']);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    // The store made new on purpose is now the store: emptying it again is refused again.
    truncateSync(join(dataDir, 'control.db'), 0);
    expect((await run('boot')).stderr).toContain('[CONTROL_STORE_MISSING]');
  });
});
