/**
 * Many tenants on one node (issue 19): 1,000 projects, each a Postgres source in a schema of its
 * own in one database on the local server, all under one connection budget (ds.budget = 40,
 * which fits max_connections 100). Sources are added one after another through the catalog.
 * Measures RSS per project, boot to READY with them all (and until every source has connected
 * in the background), random-tenant get by id (DataClient through the connection actors, 50 in
 * flight) next to the same load on one project in the same run (once with its default pool of
 * 10, once with a pool as large as the budget: the same server connections), and the server connections used
 * (pg_stat_activity for this database, sampled during the load) against the budget, with how
 * many connections were opened in all (far above the budget would mean connection churn).
 * Median of RUNS load runs. One command: `npm run bench -- --only tenants` (a few minutes on a
 * loaded box). Cleans up its database. MOBO_BENCH_TENANTS sets the number of projects.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { defaultSlots } from '../actors/components.js';
import { backgroundGate } from '../actors/ds/background-gate.js';
import { DataClient, sourceAddress } from '../actors/ds/protocol.js';
import { configSections } from '../actors/motherboard.js';
import { MoboNode } from '../actors/node.js';
import { budgetStats } from '../adapters/index.js';
import { loadConfig } from '../config/load.js';
import { Logger } from '../runtime/logger.js';
import { describeLoad } from './machine.js';
import { concurrent, fmtMs, fmtRate } from './stats.js';

const PROJECTS = Number(process.env.MOBO_BENCH_TENANTS ?? 1_000);
const BUDGET = 40;
const IN_FLIGHT = 50;
const OPS = 10_000;
const WARMUP = 2_000;
const RUNS = 3;
const ROWS = 10;
const ADMIN = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SERVER = '127.0.0.1:5432';

async function sql(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

async function boot(dataDir: string): Promise<MoboNode> {
  const env = { MOBO_HTTP_PORT: '0', MOBO_DATA_DIR: dataDir, MOBO_HEALTH__INTERVAL_MS: '0', MOBO_DS__BUDGET: String(BUDGET), MOBO_LOG__LEVEL: 'error' };
  const loaded = loadConfig({ cwd: dataDir, env, sections: configSections(defaultSlots()) });
  const node = await MoboNode.create({ loaded, log: Logger.silent() });
  await node.boot();
  return node;
}

const rssMb = (): number => process.memoryUsage.rss() / 1_048_576;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const opened = (): number => budgetStats().find((s) => s.server === SERVER)?.opened ?? 0;

function settle(): Promise<void> {
  global.gc?.();
  return new Promise((r) => setTimeout(r, 500));
}

/** Until every source has had its background connect (the gate is empty). */
async function connected(): Promise<void> {
  while (backgroundGate.pending > 0) await new Promise((r) => setTimeout(r, 10));
}

export async function run(): Promise<string[]> {
  const out: string[] = ['', `## tenants: ${PROJECTS} projects on one node (a schema each, one local Postgres database, budget ${BUDGET})`];
  const database = `mobo_bench_tenants_${Math.random().toString(36).slice(2, 8)}`;
  const dbUrl = ADMIN.replace(/\/[^/?]*(\?|$)/, `/${database}$1`);
  const dataDir = mkdtempSync(join(tmpdir(), 'mobo-bench-tenants-'));
  await sql(ADMIN, `CREATE DATABASE "${database}"`);
  let node: MoboNode | undefined;
  try {
    const ddl: string[] = [];
    for (let i = 0; i < PROJECTS; i++) {
      ddl.push(`CREATE SCHEMA p${i}; CREATE TABLE p${i}.items (id integer PRIMARY KEY, note text);`);
      ddl.push(`INSERT INTO p${i}.items SELECT g, 'note ' || g FROM generate_series(1, ${ROWS}) g;`);
    }
    for (let i = 0; i < ddl.length; i += 400) await sql(dbUrl, ddl.slice(i, i + 400).join('\n'));

    node = await boot(dataDir);
    const catalog = node.system.ref(node.address('catalog'));
    await settle();
    const rssBefore = rssMb();
    const t0 = performance.now();
    for (let i = 0; i < PROJECTS; i++) {
      await catalog.ask('project.create', { project: `p${i}` }, { timeoutMs: 30_000 });
      await catalog.ask('source.add', { project: `p${i}`, name: 'main', kind: 'postgres', url: `${dbUrl}?schema=p${i}&application_name=mobo_bench`, test: false }, { timeoutMs: 30_000 });
    }
    const addMs = (performance.now() - t0) / PROJECTS;
    // The one-project comparison on as many server connections as the thousand share (p0's own pool is the default 10).
    await catalog.ask('source.add', { project: 'p0', name: 'wide', kind: 'postgres', url: `${dbUrl}?schema=p0&application_name=mobo_bench`, test: false, poolMax: BUDGET }, { timeoutMs: 30_000 });
    await connected();
    await settle();
    const rssAfter = rssMb();
    out.push(`RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MB: ${((rssAfter - rssBefore) / PROJECTS).toFixed(3)} MB a project (goal ≤ 0.3); ${fmtMs(addMs)} to add one (one after another)`);
    await node.stop();
    node = undefined;

    const b0 = performance.now();
    node = await boot(dataDir);
    const readyMs = performance.now() - b0;
    await connected();
    out.push(`boot to READY with ${PROJECTS} projects: ${fmtMs(readyMs)} (goal < 2 s); every source connected in the background after ${fmtMs(performance.now() - b0)}`);

    const clients = Array.from({ length: PROJECTS }, (_, i) => new DataClient(node!.system.ref(sourceAddress(`p${i}`, 'main'))));
    const get = (client: DataClient) => client.select({ table: 'items', where: { op: 'eq', column: 'id', value: 1 + Math.floor(Math.random() * ROWS) } });
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await sql(ADMIN, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = '${database}' AND application_name <> 'mobo_bench_raw'`);
        peak = Math.max(peak, Number(rows[0]!.n));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const openedBefore = opened();
    const wide = new DataClient(node.system.ref(sourceAddress('p0', 'wide')));
    // The baseline: the same gets with pg straight, on as many connections (Postgres's own cost of a thousand tables per backend).
    const raw = new pg.Pool({ connectionString: dbUrl, max: BUDGET, application_name: 'mobo_bench_raw' });
    const rawGet = (schema: string) => raw.query(`SELECT * FROM ${schema}.items WHERE id = $1`, [1 + Math.floor(Math.random() * ROWS)]);
    const phases = {
      many: () => get(clients[Math.floor(Math.random() * PROJECTS)]!),
      one: () => get(clients[0]!),
      wide: () => get(wide),
      rawMany: () => rawGet(`p${Math.floor(Math.random() * PROJECTS)}`),
      rawOne: () => rawGet('p0'),
    };
    const runs: Record<keyof typeof phases, Array<{ rate: number; p50: number; p99: number }>> = { many: [], one: [], wide: [], rawMany: [], rawOne: [] };
    for (let r = 0; r < RUNS; r++) {
      for (const [phase, op] of Object.entries(phases) as Array<[keyof typeof phases, () => Promise<unknown>]>) {
        const a = await concurrent({ warmup: WARMUP, count: OPS, inFlight: IN_FLIGHT }, op);
        runs[phase].push({ rate: a.opsPerSec, p50: a.latency.p50, p99: a.latency.p99 });
      }
    }
    sampling = false;
    await sampler;
    const med = (xs: Array<{ rate: number; p50: number; p99: number }>) => ({ rate: median(xs.map((x) => x.rate)), p50: median(xs.map((x) => x.p50)), p99: median(xs.map((x) => x.p99)) });
    await raw.end();
    const [m, o, w, rm, ro] = [med(runs.many), med(runs.one), med(runs.wide), med(runs.rawMany), med(runs.rawOne)];
    out.push(`random tenant, get by id, ${IN_FLIGHT} in flight: ${fmtRate(m.rate)} · p50 ${fmtMs(m.p50)} · p99 ${fmtMs(m.p99)} (goal p99 < 10 ms)`);
    out.push(`one project, same load, its pool of 10:      ${fmtRate(o.rate)} · p50 ${fmtMs(o.p50)} · p99 ${fmtMs(o.p99)}`);
    out.push(`one project, same load, a pool of ${BUDGET}:      ${fmtRate(w.rate)} · p50 ${fmtMs(w.p50)} · p99 ${fmtMs(w.p99)}`);
    out.push(`ratio many/one on the same ${BUDGET} connections: ${(m.rate / w.rate).toFixed(2)}x (goal ≥ 0.8x); many/one with its pool of 10: ${(m.rate / o.rate).toFixed(2)}x · median of ${RUNS} runs of ${OPS} gets, phases alternating`);
    out.push(`raw pg, ${BUDGET} connections, same load: random tenant ${fmtRate(rm.rate)} · one table ${fmtRate(ro.rate)} (many/one ${(rm.rate / ro.rate).toFixed(2)}x) → MagMoBoMini ÷ raw pg: random tenant ${(m.rate / rm.rate).toFixed(2)}x, one project ${(w.rate / ro.rate).toFixed(2)}x`);
    out.push(`server connections to the database, peak during the load: ${peak} (budget ${BUDGET}; goal ≤ budget); connections opened during the load: ${opened() - openedBefore}`);
    out.push(describeLoad());
    return out;
  } finally {
    await node?.stop().catch(() => undefined);
    await sql(ADMIN, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
