import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** The built, bundled CLI (`npm test` builds first): tests run the binary users run. */
export const MOBO = resolve('dist/bundle/main.js');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function tempDir(prefix = 'mobo-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs `mobo <args>` to completion. */
export function mobo(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [MOBO, ...args], { cwd: opts.cwd, env: { ...cleanEnv(), ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

export interface BootedNode {
  proc: ChildProcess;
  /** Every stdout line so far. */
  lines: string[];
  ready: Promise<string>;
  exited: Promise<number | null>;
}

/** Starts `mobo boot` in the background; `ready` resolves with the READY line (rejects if it exits first). */
export function bootNode(opts: { cwd: string; env?: NodeJS.ProcessEnv; args?: string[] }): BootedNode {
  const proc = spawn(process.execPath, [MOBO, 'boot', ...(opts.args ?? [])], {
    cwd: opts.cwd,
    env: { ...cleanEnv(), MOBO_HTTP_PORT: '0', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
  const ready = new Promise<string>((resolvePromise, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      lines.push(line);
      if (line.startsWith('READY') || line.includes('"event":"ready"')) resolvePromise(line);
    });
    void exited.then((code) => reject(new Error(`mobo boot exited with ${code} before ready:\n${lines.join('\n')}\n${stderr}`)));
  });
  return { proc, lines, ready, exited };
}

/** The environment without MOBO_* settings from the outer shell, so tests are hermetic. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MOBO_')));
}
