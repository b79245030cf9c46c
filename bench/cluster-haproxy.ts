/**
 * N MagMoBoMini nodes of one cluster behind HAProxy, on this machine: the machine's NATS,
 * a throwaway Postgres database as the shared control store, one data directory per node,
 * `mobo boot` processes on free ports, and `haproxy` (Debian's) with deploy/haproxy.cfg.
 *
 *   node dist/bench/cluster-haproxy.js [N]        (default 3; Ctrl-C stops everything)
 *
 * `startHaproxyCluster` is the same for tests and benchmarks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository: above dist/ when built, above bench/ when run from source (vitest). */
const ROOT = basename(dirname(HERE)) === 'dist' ? resolve(HERE, '../..') : resolve(HERE, '..');
const MOBO = join(ROOT, 'dist/bundle/main.js');
const TEMPLATE = join(ROOT, 'deploy/haproxy.cfg');

export interface HaproxyClusterOptions {
  nodes: number;
  /** One NATS server or a comma-separated list (a run's own NATS cluster, bench/chaos/nats-cluster.ts); default the machine's. */
  nats?: string;
  pgAdminUrl?: string;
  /** More environment for every node (MOBO_* settings). */
  env?: Record<string, string>;
}

export interface ClusterNodeProcess {
  id: string;
  dir: string;
  port: number;
  url: string;
  /** The current process: `restart` replaces it (and `exited`) with a new one. */
  proc: ChildProcess;
  exited: Promise<number | null>;
}

export interface HaproxyCluster {
  /** The load balancer's URL: what clients use. */
  url: string;
  cluster: string;
  nodes: ClusterNodeProcess[];
  haproxy: ChildProcess;
  /** The shared control store (a throwaway database), for tests and checkers that read it. */
  controlUrl: string;
  /** Boots a node whose process exited again: same id, data dir and port; resolves at READY. */
  restart(node: ClusterNodeProcess): Promise<void>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

/** Starts `mobo boot` in `dir`; resolves once it printed READY (rejects if it exits first). */
function bootProcess(id: string, dir: string, port: number, env: Record<string, string>): Promise<ClusterNodeProcess> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MOBO_')));
  const proc = spawn(process.execPath, [MOBO, 'boot'], { cwd: dir, env: { ...clean, ...env, MOBO_DATA_DIR: dir, MOBO_NODE_ID: id, MOBO_HTTP_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
  return new Promise((resolveNode, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      output += line + '\n';
      if (line.startsWith('READY')) resolveNode({ id, dir, port, url: `http://127.0.0.1:${port}`, proc, exited });
    });
    void exited.then((code) => reject(new Error(`${id} exited with ${code} before READY:\n${output}`)));
  });
}

/** Resolves once HAProxy answers /health through a node (every server checked up at least once). */
async function waitServing(url: string, deadlineMs: number, running: () => boolean): Promise<void> {
  const end = performance.now() + deadlineMs;
  for (;;) {
    if (!running()) throw new Error('HAProxy exited');
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) return;
    if (performance.now() > end) throw new Error(`HAProxy at ${url} did not serve /health within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startHaproxyCluster(opts: HaproxyClusterOptions): Promise<HaproxyCluster> {
  const run = randomBytes(4).toString('hex');
  const cluster = `lb_${run}`;
  const db = `mobo_lb_${run}`;
  const adminUrl = opts.pgAdminUrl ?? process.env['PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${db}`);
  const control = new URL(adminUrl);
  control.pathname = `/${db}`;
  const env: Record<string, string> = {
    MOBO_TRANSPORT__KIND: 'nats',
    MOBO_NATS_URL: opts.nats ?? process.env['NATS_URL'] ?? '127.0.0.1:4222',
    MOBO_TRANSPORT__CLUSTER: cluster,
    MOBO_CONTROL__KIND: 'postgres',
    MOBO_CONTROL__URL: control.toString(),
    MOBO_SECRETS__KEY: randomBytes(32).toString('base64'),
    ...opts.env,
  };
  const nodes: ClusterNodeProcess[] = [];
  let haproxy: ChildProcess | undefined;
  const cfgDir = mkdtempSync(join(tmpdir(), 'mobo-haproxy-'));
  const stop = async (): Promise<void> => {
    if (haproxy && haproxy.exitCode === null) {
      const gone = new Promise((r) => haproxy!.once('close', r));
      haproxy.kill('SIGTERM');
      await gone;
    }
    await Promise.all(
      nodes.map(async (n) => {
        if (n.proc.exitCode === null && n.proc.signalCode === null) {
          // SIGCONT first: a node left paused (the chaos run's SIGSTOP) would never take the SIGTERM.
          n.proc.kill('SIGCONT');
          n.proc.kill('SIGTERM');
        }
        const force = setTimeout(() => n.proc.kill('SIGKILL'), 15_000);
        await n.exited;
        clearTimeout(force);
        rmSync(n.dir, { recursive: true, force: true });
      }),
    );
    rmSync(cfgDir, { recursive: true, force: true });
    await admin.query(`drop database if exists ${db} with (force)`).catch(() => undefined);
    await admin.end();
  };
  try {
    // One at a time: the first creates the control store's tables, the others find them.
    for (let i = 0; i < opts.nodes; i++) {
      const id = `lb${i + 1}-${run}`;
      nodes.push(await bootProcess(id, mkdtempSync(join(tmpdir(), `mobo-lb-${id}-`)), await freePort(), env));
    }
    const port = await freePort();
    const servers = nodes.map((n) => `    server ${n.id} 127.0.0.1:${n.port} check`).join('\n');
    const cfg = join(cfgDir, 'haproxy.cfg');
    writeFileSync(cfg, readFileSync(TEMPLATE, 'utf8').replace('{{port}}', String(port)).replace('{{servers}}', servers));
    haproxy = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    let said = '';
    haproxy.stderr!.on('data', (d: Buffer) => (said += d.toString()));
    const url = `http://127.0.0.1:${port}`;
    await waitServing(url, 60_000, () => haproxy?.exitCode === null).catch((err: Error) => {
      throw new Error(`${err.message}; haproxy ${haproxy?.exitCode === null ? 'runs' : `exited ${haproxy?.exitCode}`}:\n${said}`);
    });
    const restart = async (node: ClusterNodeProcess): Promise<void> => {
      if (node.proc.exitCode === null && node.proc.signalCode === null) throw new Error(`${node.id} is still running`);
      const again = await bootProcess(node.id, node.dir, node.port, env);
      node.proc = again.proc;
      node.exited = again.exited;
    };
    return { url, cluster, nodes, haproxy, controlUrl: control.toString(), restart, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

// Run as a script: start, print where everything is, stop on Ctrl-C.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const n = Number(process.argv[2] ?? 3);
  const started = await startHaproxyCluster({ nodes: n });
  console.log(`HAProxy ${started.url} → ${started.nodes.map((x) => `${x.id} ${x.url} (data ${x.dir})`).join(', ')} · cluster ${started.cluster}`);
  console.log('Ctrl-C stops the nodes and HAProxy and drops the control database.');
  const bye = (): void => void started.stop().then(() => process.exit(0));
  process.on('SIGINT', bye);
  process.on('SIGTERM', bye);
}
