import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MOBO, tempDir } from '../support/cli.js';

function check(input: string, cwd: string, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MOBO, 'sentinel:check', ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('mobo sentinel:check', () => {
  it('prints one JSON line per stdin line, in order, with score and decision', async () => {
    const values = ["1' or '1'='1", "Siobhan O'Brien", 'union station', '  spaced  ', 'ünïcødé ☃', "admin'--"];
    const { code, stdout, stderr } = await check(values.join('\r\n') + '\n', tempDir());
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = stdout.trim().split('\n').map((l) => JSON.parse(l) as { value: string; score: number; decision: string });
    expect(out.map((o) => o.value)).toEqual(values);
    for (const o of out) expect(o.score).toBeGreaterThanOrEqual(0);
    expect(out.map((o) => o.decision)).toEqual(['block', 'allow', 'allow', 'allow', 'allow', 'block']);
  });

  it('takes its bands from the config, so operators can tune them', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'mobo.config.json'), JSON.stringify({ sentinel: { sqlguard: { bands: { block: 1, alert: 0.5, log: 0.1 } } } }));
    const { code, stdout } = await check("admin'--\n", cwd);
    expect(code).toBe(0);
    expect(JSON.parse(stdout.trim()).decision).toBe('alert');
  });

  it('prints nothing for empty input, and a clear error for a missing model', async () => {
    const cwd = tempDir();
    expect((await check('', cwd)).stdout).toBe('');
    const missing = await check('x\n', cwd, ['--model', join(cwd, 'nope.json')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('SENTINEL_MODEL_INVALID');
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });
});
