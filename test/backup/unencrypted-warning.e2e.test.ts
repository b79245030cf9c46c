import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOBO, bootNode, mobo, tempDir, type BootedNode } from '../support/cli.js';

const WARNING = 'warning: this backup is not encrypted';

/** Runs `mobo <args>` on a pseudo-terminal (util-linux `script`), as a person at a shell would. */
function onTerminal(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, MOBO, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('backup:create without a backup key', () => {
  const cwd = tempDir('mobo-warn-');
  let node: BootedNode;
  beforeAll(async () => {
    node = bootNode({ cwd });
    await node.ready;
  });
  afterAll(async () => {
    node.proc.kill('SIGTERM');
    await node.exited;
  });

  it('warns once on a terminal', async () => {
    const run = await onTerminal(['backup:create'], cwd);
    expect(run.code, run.output).toBe(0);
    expect(run.output.split(WARNING).length - 1).toBe(1);
  });

  it('says nothing of it when output goes to a pipe (CI) or in --json', async () => {
    const piped = await mobo(['backup:create'], { cwd });
    expect(piped.code).toBe(0);
    expect(piped.stderr + piped.stdout).not.toContain(WARNING);
    const json = await onTerminal(['backup:create', '--json'], cwd);
    expect(json.code, json.output).toBe(0);
    expect(json.output).not.toContain(WARNING);
    expect(JSON.parse(json.output.trim().split(/\r?\n/).at(-1)!)).toMatchObject({ encrypted: false });
  });
});
