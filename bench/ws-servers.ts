import { existsSync } from 'node:fs';
/**
 * The servers the MagWS bench runs, each in its own process on 127.0.0.1: a MagMoBoMini
 * node (`mobo boot`) and Soketi 1.6.1 (every listener bound to loopback).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';

export interface BenchServer {
  name: string;
  port: number;
  app: { id: string; key: string; secret: string };
  proc: ChildProcess;
  /** MagMoBoMini only: insert a row into the watched table (through the REST API). */
  insert?: (row: Record<string, unknown>) => Promise<void>;
  stop(): Promise<void>;
}

const BOOT_DEADLINE_MS = 30_000;

export function freePort(): Promise<number> {
  return new Promise((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });
}

export function rssMb(proc: ChildProcess): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1] ?? NaN);
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system) a process has used so far, in ms (clock ticks: 10 ms resolution). */
export function cpuMs(proc: ChildProcess): number {
  try {
    const fields = readFileSync(`/proc/${proc.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

export function waitForLine(proc: ChildProcess, pattern: RegExp, what: string): Promise<void> {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${what} did not start in ${BOOT_DEADLINE_MS} ms`)), BOOT_DEADLINE_MS);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (!pattern.test(line)) return;
      clearTimeout(timer);
      ok();
    });
    proc.once('exit', (code) => fail(new Error(`${what} exited with ${code}`)));
  });
}

export function stopper(proc: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((done) => {
      if (proc.exitCode !== null) return done();
      proc.once('exit', () => done());
      proc.kill('SIGTERM');
      setTimeout(() => proc.kill('SIGKILL'), 10_000).unref();
    });
}

export async function startMobo(): Promise<BenchServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mobo-wsbench-'));
  writeFileSync(
    join(dir, 'mobo.config.json'),
    JSON.stringify({ log: { level: 'warn', format: 'json' }, realtime: { maxConnections: 50_000 }, rateLimits: { perKey: { rps: 10_000, burst: 10_000 } } }),
  );
  const db = new Database(join(dir, 'bench.db'));
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, t REAL NOT NULL)');
  db.close();
  const prof = process.env.WS_BENCH_CPU_PROF;
  const proc = spawn(process.execPath, [...(prof ? ['--cpu-prof', `--cpu-prof-dir=${resolve(prof)}`] : []), resolve('dist/bundle/main.js'), 'boot'], { cwd: dir, env: { ...process.env, MOBO_HTTP_PORT: '0', MOBO_DATA_DIR: join(dir, '.mobo') }, stdio: ['ignore', 'pipe', 'inherit'] });
  await waitForLine(proc, /READY|"event":"ready"/, 'mobo boot');
  const port = (JSON.parse(readFileSync(join(dir, '.mobo', 'node.json'), 'utf8')) as { port: number }).port;
  const token = readFileSync(join(dir, '.mobo', 'admin.token'), 'utf8').trim();
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const json = (await res.json()) as { data: T; error?: unknown };
    if (!res.ok) throw new Error(`${path}: ${JSON.stringify(json.error)}`);
    return json.data;
  };
  await admin('POST', '/v1/admin/projects', { name: 'bench' });
  await admin('POST', '/v1/admin/projects/bench/sources', { name: 'main', kind: 'sqlite', url: join(dir, 'bench.db') });
  const app = await admin<{ appId: string; key: string; secret: string }>('GET', '/v1/admin/projects/bench/realtime');
  const apiKey = (await admin<{ key: string }>('POST', '/v1/admin/projects/bench/keys', { role: 'admin' })).key;
  const insert = async (row: Record<string, unknown>): Promise<void> => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/bench/main/items`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(row) });
    if (!res.ok) throw new Error(`insert: HTTP ${res.status} ${await res.text()}`);
  };
  return { name: 'MagMoBoMini', port, app: { id: app.appId, key: app.key, secret: app.secret }, proc, insert, stop: stopper(proc) };
}

/** Soketi (and the aws-sdk it pulls in) installs apart from the node, in bench/node_modules: `npm run bench:install`. */
function soketiServer(): string {
  const server = resolve('bench/node_modules/@soketi/soketi/bin/server.js');
  if (!existsSync(server)) throw new Error('Soketi is not installed: run `npm run bench:install` (npm ci in bench/), or WS_BENCH_ONLY=mobo');
  return server;
}

export async function startSoketi(): Promise<BenchServer> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const app = { id: 'bench', key: 'bench-key', secret: 'bench-secret-0123456789' };
  const env = {
    ...process.env,
    SOKETI_HOST: '127.0.0.1',
    SOKETI_PORT: String(port),
    SOKETI_METRICS_HOST: '127.0.0.1',
    SOKETI_METRICS_SERVER_PORT: String(metricsPort),
    SOKETI_CLUSTER_HOST: '127.0.0.1',
    SOKETI_DEFAULT_APP_ID: app.id,
    SOKETI_DEFAULT_APP_KEY: app.key,
    SOKETI_DEFAULT_APP_SECRET: app.secret,
    SOKETI_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SEC: '-1',
  };
  const proc = spawn(process.execPath, [soketiServer(), 'start'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  await waitForLine(proc, /Server is up and running/, 'soketi');
  return { name: 'Soketi 1.6.1', port, app, proc, stop: stopper(proc) };
}
