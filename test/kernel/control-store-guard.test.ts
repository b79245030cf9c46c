import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { readNodeFile } from '../../gateway/node-file.js';
import { MoboError } from '../../runtime/errors.js';
import { tempDir } from '../support/cli.js';
import { startTestNode } from '../support/node.js';
import { waitFor } from '../support/wait.js';

/** The component's own error under the POST wrapper. */
function rootCode(err: unknown): string | undefined {
  let e = err;
  while (e instanceof MoboError && e.code === 'SUP_POST_FAILED' && e.cause instanceof MoboError) e = e.cause;
  return e instanceof MoboError ? e.code : undefined;
}

async function bootError(dataDir: string): Promise<MoboError> {
  const err = await startTestNode({}, dataDir).then(
    async (node) => {
      await node.stop();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(err, 'boot should have been refused').toBeInstanceOf(MoboError);
  return err as MoboError;
}

/** A data directory a node has run in (control store with tables, secret key), node stopped. */
async function usedDataDir(): Promise<string> {
  const dir = tempDir('mobo-guard-');
  const node = await startTestNode({}, dir);
  await node.stop();
  return dir;
}

/** Writes random bytes over SQLite pages [from, to) of the file (page 1 is the header page). */
function smashPages(file: string, from: number, to = Infinity): void {
  const header = readFileSync(file).subarray(0, 100);
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65_536 : raw;
  const pages = Math.floor(statSync(file).size / pageSize);
  const fd = openSync(file, 'r+');
  try {
    for (let page = from; page <= Math.min(pages, to - 1); page++) {
      const garbage = Buffer.alloc(pageSize, 0);
      for (let i = 0; i < pageSize; i++) garbage[i] = (i * 7919 + page * 31) & 0xff;
      writeSync(fd, garbage, 0, pageSize, (page - 1) * pageSize);
    }
  } finally {
    closeSync(fd);
  }
}

describe('the control store refuses to be silently new', () => {
  const running: MoboNode[] = [];
  afterEach(async () => {
    for (const node of running.splice(0)) await node.stop();
  });

  it('a fresh data directory boots as a fresh install, owner-only: dir 0700, every file 0600', async () => {
    const dir = tempDir('mobo-guard-fresh-');
    const node = await startTestNode({}, dir);
    running.push(node);
    expect(existsSync(join(dir, 'control.db'))).toBe(true);
    const walk = (path: string): string[] => [path, ...(statSync(path).isDirectory() ? readdirSync(path).flatMap((n) => walk(join(path, n))) : [])];
    const entries = walk(dir);
    expect(entries.map((p) => p.slice(dir.length))).toEqual(expect.arrayContaining(['', '/control.db', '/secret.key', '/admin.token', '/node.json']));
    for (const path of entries) expect([path, statSync(path).mode & 0o777]).toEqual([path, statSync(path).isDirectory() ? 0o700 : 0o600]);
  });

  it('tightens a data directory left readable by others at the next boot', async () => {
    const dir = await usedDataDir();
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'control.db'), 0o644);
    chmodSync(join(dir, 'secret.key'), 0o644);
    const node = await startTestNode({}, dir);
    running.push(node);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'control.db')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
  });

  it('an empty (zero-length) control.db beside a secret key is refused with CONTROL_STORE_MISSING', async () => {
    const dir = await usedDataDir();
    truncateSync(join(dir, 'control.db'), 0);
    const err = await bootError(dir);
    expect(rootCode(err)).toBe('CONTROL_STORE_MISSING');
    expect(err.message).toContain('is empty (0 bytes)');
    expect(err.message).toContain('mobo init --force');
    expect(err.message).toContain('mobo backup:restore <id> --force');
    // Refusing wrote nothing: the empty file is still empty, no node file left behind.
    expect(statSync(join(dir, 'control.db')).size).toBe(0);
    expect(readNodeFile(dir)).toBeUndefined();
  });

  it('a missing control.db where a node ran (secret key, node state) is refused and not re-created', async () => {
    const dir = await usedDataDir();
    writeFileSync(join(dir, 'state.json'), '{}', { mode: 0o600 });
    rmSync(join(dir, 'control.db'));
    const err = await bootError(dir);
    expect(rootCode(err)).toBe('CONTROL_STORE_MISSING');
    expect(err.message).toMatch(/control\.db is missing/);
    expect((err.cause as MoboError).details).toMatchObject({ found: expect.arrayContaining(['secret.key', 'state.json']) });
    expect(existsSync(join(dir, 'control.db'))).toBe(false);
  });

  it('a missing control.db with only backups left is refused too', async () => {
    const dir = await usedDataDir();
    rmSync(join(dir, 'control.db'));
    rmSync(join(dir, 'secret.key'));
    mkdirSync(join(dir, 'backups'), { mode: 0o700 });
    writeFileSync(join(dir, 'backups', 'b-old.mobo'), 'an archive', { mode: 0o600 });
    expect(rootCode(await bootError(dir))).toBe('CONTROL_STORE_MISSING');
  });

  it('a data directory holding only what `mobo init` writes (the admin token) boots fresh', async () => {
    const dir = tempDir('mobo-guard-init-');
    writeFileSync(join(dir, 'admin.token'), 'mobo_admin_x\n', { mode: 0o600 });
    const node = await startTestNode({}, dir);
    running.push(node);
    expect(statSync(join(dir, 'control.db')).size).toBeGreaterThan(0);
  });

  it('a control.db whose pages are garbage is refused with CONTROL_STORE_CORRUPT', async () => {
    const dir = await usedDataDir();
    smashPages(join(dir, 'control.db'), 2, 3);
    const err = await bootError(dir);
    expect(rootCode(err)).toBe('CONTROL_STORE_CORRUPT');
    expect(err.message).toContain('failed its integrity check');
  });

  it('a control.db whose header is garbage (not a database) is refused with CONTROL_STORE_CORRUPT', async () => {
    const dir = await usedDataDir();
    smashPages(join(dir, 'control.db'), 1, 2);
    expect(rootCode(await bootError(dir))).toBe('CONTROL_STORE_CORRUPT');
  });

  it('a control store that is a valid database without MagMoBoMini tables counts as missing', async () => {
    const dir = await usedDataDir();
    rmSync(join(dir, 'control.db'));
    // Another application's SQLite database put in its place.
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(dir, 'control.db'));
    db.exec('CREATE TABLE notes (id integer primary key, body text)');
    db.close();
    const err = await bootError(dir);
    expect(rootCode(err)).toBe('CONTROL_STORE_MISSING');
    expect(err.message).toContain('has no MagMoBoMini tables');
  });

  it('a page damaged after boot fails the store health check and /health names it', async () => {
    const dir = await usedDataDir();
    // Critical from the first failed check and never `failed` (which would restart the store): /health stays 503 to be seen.
    const health = { MOBO_HEALTH__INTERVAL_MS: '50', MOBO_HEALTH__THRESHOLDS__DEGRADED: '1', MOBO_HEALTH__THRESHOLDS__CRITICAL: '1', MOBO_HEALTH__THRESHOLDS__FAILED: '1000000' };
    const node = await startTestNode(health, dir);
    running.push(node);
    const port = readNodeFile(dir)!.port;
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    smashPages(join(dir, 'control.db'), 2);
    const report = await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      const body = (await res.json()) as { components: Array<{ name: string; health: string }> };
      return res.status === 503 ? body : undefined;
    }, '/health to answer 503');
    expect(report.components.find((c) => c.name === 'store')?.health).toBe('critical');
    expect(report.components.filter((c) => c.name !== 'kernel' && c.health !== 'healthy').map((c) => c.name)).toEqual(['store']);
  });
});
