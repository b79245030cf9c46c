import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Run } from '../../actors/kernel/node-memory.js';
import { bootNode, mobo, tempDir, type BootedNode } from '../support/cli.js';
import { waitFor } from '../support/wait.js';

/** The runs in the node's state file, as the state actor wrote them. */
function runs(cwd: string): Run[] {
  try {
    return (JSON.parse(readFileSync(join(cwd, '.mobo', 'state.json'), 'utf8')) as { 'node.memory'?: { runs: Run[] } })['node.memory']?.runs ?? [];
  } catch {
    return [];
  }
}

describe('the state actor remembers runs across restarts; mobo status shows the last one after a crash', () => {
  const cwd = tempDir('mobo-memory-');
  const nodes: BootedNode[] = [];
  afterAll(async () => {
    for (const n of nodes) if (n.proc.exitCode === null) n.proc.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.exited));
  });

  it('a killed node is read as crashed, with its components as last seen; a clean stop as shutdown', async () => {
    const first = bootNode({ cwd });
    nodes.push(first);
    await first.ready;
    await waitFor(() => runs(cwd).at(-1)?.components?.some((c) => c.name === 'auth' && c.state === 'running'), 'components snapshot written');
    first.proc.kill('SIGKILL');
    await first.exited;

    const down = await mobo(['status', '--json'], { cwd });
    expect(down.code).toBe(3);
    const { lastRun } = JSON.parse(down.stdout) as { running: boolean; lastRun: Run };
    expect(lastRun).toMatchObject({ pid: first.proc.pid, end: { kind: 'crashed' } });
    expect(lastRun.components?.find((c) => c.name === 'auth')).toMatchObject({ state: 'running', health: 'healthy' });
    expect((await mobo(['status'], { cwd })).stdout).toMatch(/not running; last run: pid \d+, started .*, ended crashed/);

    const second = bootNode({ cwd });
    nodes.push(second);
    await second.ready;
    const up = await mobo(['status', '--json'], { cwd });
    expect(up.code).toBe(0);
    expect((JSON.parse(up.stdout) as { previousRun: Run }).previousRun).toMatchObject({ pid: first.proc.pid, end: { kind: 'crashed' } });
    second.proc.kill('SIGINT');
    expect(await second.exited).toBe(0);

    expect(runs(cwd).map((r) => r.end?.kind)).toEqual(['crashed', 'shutdown']);
    const after = await mobo(['status', '--json'], { cwd });
    expect(after.code).toBe(3);
    expect((JSON.parse(after.stdout) as { lastRun: Run }).lastRun).toMatchObject({ pid: second.proc.pid, end: { kind: 'shutdown', reason: 'signal SIGINT' } });
  }, 90_000); // three node processes and six CLI runs, on a shared box
});
