/**
 * MagGate under load from wrk (another process), next to a bare Fastify + pg handler doing
 * the same work and to raw pg queries from Node, on one 10k-row Postgres table, one run.
 * Full MagGate path per request: IP and key rate limits, API key auth, role check, query
 * parsing, an actor hop to the connection actor, the adapter, the envelope.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { concurrent, fmtRate, times, type Report } from './stats.js';
import { luaScript, wrk, type WrkResult } from './wrk.js';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TABLE = `mobo_bench_items_${Math.random().toString(36).slice(2, 8)}`;
const CONNECTIONS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

interface Started {
  proc: ChildProcess;
  line: string;
}

/** Spawns a node process and resolves with its first stdout line matching `ready`. */
export function start(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv }, ready: RegExp): Promise<Started> {
  const proc = spawn(process.execPath, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolvePromise, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (ready.test(line)) resolvePromise({ proc, line });
    });
    proc.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before ready`)));
  });
}

export function stop(proc: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (proc.exitCode !== null) return r();
    proc.on('exit', () => r());
    proc.kill('SIGTERM');
  });
}

async function seed(pool: pg.Pool): Promise<void> {
  await pool.query(`drop table if exists ${TABLE}`);
  await pool.query(`create table ${TABLE} (id serial primary key, name text not null, price double precision, created_at timestamptz not null default now())`);
  await pool.query(`insert into ${TABLE} (name, price) select 'item ' || g, (g % 1000) / 10.0 from generate_series(1, 10000) g`);
  await pool.query(`analyze ${TABLE}`);
}

/** Boots MagMoBoMini with a project on the bench table and returns its base URL and an API key. */
export async function bootMobo(extraEnv: Record<string, string> = {}, bundle = resolve('dist/bundle/main.js')): Promise<{ proc: ChildProcess; base: string; key: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'mobo-bench-gw-'));
  const limits = { MOBO_RATE_LIMITS__PER_KEY__RPS: '1e9', MOBO_RATE_LIMITS__PER_KEY__BURST: '1000000000', MOBO_RATE_LIMITS__PER_IP__RPS: '1e9', MOBO_RATE_LIMITS__PER_IP__BURST: '1000000000' };
  const { proc } = await start([bundle, 'boot'], { cwd: dir, env: { MOBO_HTTP_PORT: '0', MOBO_LOG_LEVEL: 'warn', MOBO_DATA_DIR: dir, ...limits, ...extraEnv } }, /^READY/);
  const { port } = JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as { port: number };
  const token = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
  const base = `http://127.0.0.1:${port}`;
  const admin = async (path: string, body: unknown): Promise<{ data: { key?: string } }> => {
    const res = await fetch(base + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { data: { key?: string } };
  };
  await admin('/v1/admin/projects', { name: 'bench' });
  await admin('/v1/admin/projects/bench/sources', { name: 'pg', kind: 'postgres', url: PG_URL, poolMax: 10 });
  const { data } = await admin('/v1/admin/projects/bench/keys', { role: 'developer', name: 'bench' });
  return { proc, base, key: data.key! };
}

interface Case {
  name: string;
  mobo: { path: string; method?: string; body?: string };
  fastify: { path: string; method?: string; body?: string };
}

const CASES: Case[] = [
  { name: 'get by id', mobo: { path: `/v1/bench/pg/${TABLE}/{id}` }, fastify: { path: '/items/{id}' } },
  { name: 'filtered list (20 rows)', mobo: { path: `/v1/bench/pg/${TABLE}?price=gte.50&order=id&limit=20&select=id,name,price` }, fastify: { path: '/items?min=50' } },
  {
    name: 'insert',
    mobo: { path: `/v1/bench/pg/${TABLE}`, method: 'POST', body: '{"name":"n{id}","price":1.5}' },
    fastify: { path: '/items', method: 'POST', body: '{"name":"n{id}","price":1.5}' },
  },
];

function show(report: Report, label: string, r: WrkResult): void {
  report.line(label, `${fmtRate(r.rps)} req/s · p50 ${r.p50ms.toFixed(2)} ms · p99 ${r.p99ms.toFixed(2)} ms${r.errors ? ` · ${r.errors} errors` : ''}`);
}

/** The same get-by-id load on a node with read coalescing switched off. */
async function uncoalesced(report: Report, withCoalescing: WrkResult): Promise<void> {
  const node = await bootMobo({ MOBO_HTTP__COALESCE_READS: 'false' });
  try {
    const c = CASES[0]!;
    const off = await wrk({ url: node.base, connections: CONNECTIONS, seconds: SECONDS, lua: luaScript({ headers: { authorization: `Bearer ${node.key}` }, ...c.mobo }) });
    report.note('get by id, read coalescing on vs off');
    show(report, '  coalescing on', withCoalescing);
    show(report, '  coalescing off', off);
    report.ratio('  throughput on ÷ off', withCoalescing.rps, off.rps);
  } finally {
    await stop(node.proc);
  }
}

/**
 * The two read cases on a node with the read cache on and one with it off (the default), side
 * by side after the insert case grew the table, each pair run back to back.
 */
async function withReadCache(report: Report): Promise<void> {
  const on = await bootMobo({ MOBO_HTTP__READ_CACHE__ENABLED: 'true' });
  const off = await bootMobo();
  try {
    for (const c of CASES.filter((c) => c.mobo.method === undefined)) {
      const load = (node: { base: string; key: string }) =>
        wrk({ url: node.base, connections: CONNECTIONS, seconds: SECONDS, lua: luaScript({ headers: { authorization: `Bearer ${node.key}` }, ...c.mobo }) });
      const withOff = await load(off);
      const withOn = await load(on);
      report.note(`${c.name}, read cache on vs off`);
      show(report, '  read cache on', withOn);
      show(report, '  read cache off', withOff);
      report.ratio('  throughput on ÷ off', withOn.rps, withOff.rps);
    }
  } finally {
    await stop(on.proc);
    await stop(off.proc);
  }
}

/**
 * This build against another one (`BENCH_BASELINE=<path>/dist/bundle/main.js`, say main
 * before a change), same table, same run: each case alternates baseline and current
 * `rounds` times, and the ratio of medians is reported.
 */
async function againstBaseline(report: Report, baseline: string, rounds = 3): Promise<void> {
  const before = await bootMobo({}, resolve(baseline));
  const after = await bootMobo();
  try {
    report.note(`this build vs ${baseline} (${rounds} alternating rounds per case, medians)`);
    for (const c of CASES) {
      const load = (node: { base: string; key: string }) =>
        wrk({ url: node.base, connections: CONNECTIONS, seconds: SECONDS, lua: luaScript({ headers: { 'content-type': 'application/json', authorization: `Bearer ${node.key}` }, ...c.mobo }) });
      const [b, a]: [WrkResult[], WrkResult[]] = [[], []];
      for (let i = 0; i < rounds; i++) {
        b.push(await load(before));
        a.push(await load(after));
      }
      const median = (rs: WrkResult[]) => [...rs].sort((x, y) => x.rps - y.rps)[Math.floor(rs.length / 2)]!;
      show(report, `  ${c.name}, baseline`, median(b));
      show(report, `  ${c.name}, this build`, median(a));
      report.ratio(`  ${c.name}: this build ÷ baseline`, median(a).rps, median(b).rps);
    }
  } finally {
    await stop(before.proc);
    await stop(after.proc);
  }
}

export async function run(report: Report): Promise<void> {
  const baseline = process.env.BENCH_BASELINE;
  if (baseline) {
    report.section(`MagGate, this build vs a baseline build (wrk, ${CONNECTIONS} connections, ${SECONDS} s each, ${TABLE} 10k rows)`);
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    await seed(pool);
    try {
      return await againstBaseline(report, baseline);
    } finally {
      await pool.query(`drop table if exists ${TABLE}`);
      await pool.end();
    }
  }
  report.section(`MagGate vs Fastify+pg vs raw pg (wrk, ${CONNECTIONS} connections, ${SECONDS} s each, ${TABLE} 10k rows)`);
  const pool = new pg.Pool({ connectionString: PG_URL, max: 10 });
  await seed(pool);
  const mobo = await bootMobo();
  const fastify = await start([resolve('dist/bench/fastify-server.js'), TABLE, '0', PG_URL], {}, /^LISTENING/);
  const fastifyBase = fastify.line.split(' ')[1]!;
  let getById: WrkResult | undefined;
  try {
    const raw = await concurrent({ warmup: 2_000, count: 10_000_000, maxMs: SECONDS * 1_000, inFlight: CONNECTIONS }, () =>
      pool.query(`select * from ${TABLE} where id = $1`, [1 + Math.floor(Math.random() * 10_000)]),
    );
    report.line('raw pg point query (Node, pool 10)', `${fmtRate(raw.opsPerSec)} queries/s`);
    const json = { 'content-type': 'application/json' };
    for (const c of CASES) {
      const f = await wrk({ url: fastifyBase + c.fastify.path.split('?')[0], connections: CONNECTIONS, seconds: SECONDS, lua: luaScript({ headers: json, ...c.fastify }) });
      const m = await wrk({ url: mobo.base, connections: CONNECTIONS, seconds: SECONDS, lua: luaScript({ headers: { ...json, authorization: `Bearer ${mobo.key}` }, ...c.mobo }) });
      report.note(c.name);
      show(report, '  Fastify + pg', f);
      show(report, '  MagGate full path', m);
      report.goal(`${c.name}: Fastify req/s ÷ MagGate req/s`, f.rps / m.rps, 1, times);
      report.goal(`${c.name}: MagGate p99 ÷ Fastify p99`, m.p99ms / f.p99ms, 0.5, times);
      if (c === CASES[0]) {
        getById = m;
        report.goal('get by id: raw pg ÷ MagGate', raw.opsPerSec / m.rps, 2, times);
      }
    }
  } finally {
    await stop(fastify.proc);
    await stop(mobo.proc);
  }
  try {
    if (getById) await uncoalesced(report, getById);
    await withReadCache(report);
  } finally {
    await pool.query(`drop table if exists ${TABLE}`);
    await pool.end();
  }
}
