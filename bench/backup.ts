/**
 * MagBackup next to pg_dump/pg_restore (custom format) on the same Postgres schema, in the
 * same run: a project whose Postgres source holds ROWS rows, backed up and restored through
 * the node's backup actor (jobs, as `mobo backup:create|restore` runs them), and dumped and
 * restored by pg_dump -Fc -t <table> / pg_restore (the table alone: the schema also holds
 * MagDS's change-feed function and side table, which MagBackup does not dump either). Best of ROUNDS alternating rounds; the ratio is
 * MagBackup time ÷ pg tool time (1.00× = as fast). Sizes: the whole archive (control store
 * and config included) next to the pg_dump file.
 *
 * Run: npm run build && node dist/bench/backup.js   (or via dist/bench/run.js --only backup)
 * Needs Postgres at PG_URL (default postgres://postgres@127.0.0.1:5432/test) and pg_dump/pg_restore on PATH.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Manifest } from '../actors/backup/index.js';
import { MoboNode } from '../actors/node.js';
import { loadConfig } from '../config/load.js';
import { Logger } from '../runtime/logger.js';
import { describeMachine } from './machine.js';

const exec = promisify(execFile);
const URL = process.env['PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROWS = Number(process.env['BENCH_BACKUP_ROWS'] ?? 100_000);
const ROUNDS = 3;
const TABLE = 'bench_items';

interface Side {
  backupMs: number;
  restoreMs: number;
  bytes: number;
}

/** The bench module entry bench/run.ts calls. */
export async function run(): Promise<string[]> {
  const schema = `mobo_bench_bk_${Math.random().toString(36).slice(2, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), 'mobo-bench-backup-'));
  const admin = new pg.Client({ connectionString: URL });
  await admin.connect();
  const table = `"${schema}"."${TABLE}"`;
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const node = await bootNode(dir);
  try {
    await admin.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, name text NOT NULL, qty bigint, score double precision, created timestamptz NOT NULL DEFAULT now())`);
    await admin.query(`INSERT INTO ${table} (id, name, qty, score) SELECT i, 'item number ' || i, i % 1000, i / 7.0 FROM generate_series(1, ${ROWS}) AS i`);
    const catalog = node.system.ref(node.address('catalog'));
    await catalog.ask('project.create', { project: 'bench' });
    await catalog.ask('source.add', { project: 'bench', name: 'pg', kind: 'postgres', url: URL, namespace: schema }, { timeoutMs: 15_000 });

    const mobo: Side[] = [];
    const tools: Side[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      mobo.push(await measureMobo(node, admin, table));
      tools.push(await measurePgTools(admin, table, schema, dir));
    }
    const best = (sides: Side[], key: keyof Side) => Math.min(...sides.map((s) => s[key]));
    const m = { backupMs: best(mobo, 'backupMs'), restoreMs: best(mobo, 'restoreMs'), bytes: best(mobo, 'bytes') };
    const t = { backupMs: best(tools, 'backupMs'), restoreMs: best(tools, 'restoreMs'), bytes: best(tools, 'bytes') };
    const rate = (ms: number) => `${((ROWS / ms) * 1000 / 1000).toFixed(0)} k rows/s`;
    return [
      `MagBackup vs pg_dump/pg_restore · ${new Date().toISOString()}`,
      `machine: ${describeMachine()}`,
      `one Postgres source, ${ROWS} rows (5 columns), best of ${ROUNDS} alternating rounds`,
      `  backup:  MagBackup ${fmt(m.backupMs)} (${rate(m.backupMs)})  pg_dump -Fc ${fmt(t.backupMs)} (${rate(t.backupMs)})  ratio ${(m.backupMs / t.backupMs).toFixed(2)}×`,
      `  restore: MagBackup ${fmt(m.restoreMs)} (${rate(m.restoreMs)})  pg_restore ${fmt(t.restoreMs)} (${rate(t.restoreMs)})  ratio ${(m.restoreMs / t.restoreMs).toFixed(2)}×`,
      `  size:    MagBackup archive ${mb(m.bytes)}  pg_dump file ${mb(t.bytes)}  ratio ${(m.bytes / t.bytes).toFixed(2)}×`,
    ];
  } finally {
    await node.stop();
    await admin.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bootNode(dir: string): Promise<MoboNode> {
  const loaded = loadConfig({ cwd: dir, env: { MOBO_HTTP_PORT: '0', MOBO_DATA_DIR: dir, MOBO_HEALTH__INTERVAL_MS: '0' } });
  const node = await MoboNode.create({ loaded, log: Logger.silent() });
  await node.boot();
  return node;
}

/** Asks the backup actor for a job and resolves with its result when it is done. */
async function job<R>(node: MoboNode, type: string, payload: unknown): Promise<R> {
  const ended = new Map<string, { state: string; result?: R; error?: unknown }>();
  let wake: (() => void) | undefined;
  const record = (e: { payload: { id: string; state: string; result?: R; error?: unknown } }) => {
    ended.set(e.payload.id, e.payload);
    wake?.();
  };
  const offs = [node.system.events.on('job.backup.done', record), node.system.events.on('job.backup.failed', record)];
  try {
    const { id } = await node.system.ref(node.address('backup')).ask<{ id: string }>(type, payload);
    while (!ended.has(id)) await new Promise<void>((r) => (wake = r));
    const end = ended.get(id)!;
    if (end.state !== 'done') throw new Error(`${type} failed: ${JSON.stringify(end.error)}`);
    return end.result as R;
  } finally {
    for (const off of offs) off();
  }
}

async function measureMobo(node: MoboNode, admin: pg.Client, table: string): Promise<Side> {
  let t0 = performance.now();
  const manifest = await job<Manifest>(node, 'backup.create', { reason: 'bench' });
  const backupMs = performance.now() - t0;
  const bytes = statSync(join(node.configStore.current().dataDir, 'backups', `${manifest.id}.mobo`)).size;
  await admin.query(`DROP TABLE ${table}`);
  t0 = performance.now();
  await job(node, 'backup.restore', { id: manifest.id, project: 'bench' });
  const restoreMs = performance.now() - t0;
  await check(admin, table);
  return { backupMs, restoreMs, bytes };
}

async function measurePgTools(admin: pg.Client, table: string, schema: string, dir: string): Promise<Side> {
  const file = join(dir, 'pg.dump');
  let t0 = performance.now();
  await exec('pg_dump', ['-Fc', '-t', `${schema}.${TABLE}`, '-f', file, '-d', URL]);
  const backupMs = performance.now() - t0;
  const bytes = statSync(file).size;
  await admin.query(`DROP TABLE ${table}`);
  t0 = performance.now();
  await exec('pg_restore', ['-d', URL, file]);
  const restoreMs = performance.now() - t0;
  await check(admin, table);
  rmSync(file);
  return { backupMs, restoreMs, bytes };
}

async function check(admin: pg.Client, table: string): Promise<void> {
  const { rows } = await admin.query(`SELECT count(*)::int AS n FROM ${table}`);
  if (rows[0].n !== ROWS) throw new Error(`restore left ${rows[0].n} rows, expected ${ROWS}`);
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(2)} MB`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().then(
    (lines) => {
      for (const line of lines) console.log(line);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
