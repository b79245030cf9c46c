/**
 * MagSentinel: detection on the held-out split (per source block), SQLGuard scoring speed
 * on one core, model load time, and MagGate's get-by-id with Sentinel on against off, in
 * the same run (two `mobo boot` processes on one Postgres table, wrk from outside,
 * alternating off/on so drifting load on a shared box hits both alike).
 *
 *   npm run build && node dist/bench/sentinel.js      (BENCH_SECONDS, default 5 s per wrk run)
 */
import { resolve } from 'node:path';
import pg from 'pg';
import { decide, defaultManifestPath, resolveBands, SqlGuard } from '../actors/sentinel/index.js';
import { dataDir, loadSamples, split } from '../actors/sentinel/sqlguard/train/dataset.js';
import { evaluate } from '../actors/sentinel/sqlguard/train/evaluate.js';
import { bootMobo } from './gateway.js';
import { describeLoad, describeMachine } from './machine.js';
import { luaScript, wrk, type WrkResult } from './wrk.js';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TABLE = `mobo_bench_sentinel_${process.pid}`;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = 3;
const BATCH = 256;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

async function detection(out: string[]): Promise<void> {
  const guard = await SqlGuard.load(defaultManifestPath());
  const firstLoad = guard.loadMs; // includes loading onnxruntime's native library into the process
  const { test } = split(loadSamples(dataDir()), guard.manifest.seed as number);
  const scored = await guard.score(test.map((s) => s.value));
  const bands = resolveBands({ alert: 0.7, log: 0.4 }, guard.manifest);
  const e = evaluate(test, scored.map((s) => s.score), bands.block);
  out.push(`detection on the held-out split (${test.length} lines, threshold ${bands.block}): recall ${pct(e.recall)} · FPR ${pct(e.fpr)} · FPR on hard negatives ${pct(e.hardFpr)}`);
  for (const [block, b] of Object.entries(e.blocks).sort(([a], [b]) => a.localeCompare(b))) out.push(`  ${block.padEnd(24)} ${String(b.n).padStart(5)} lines  ${block.startsWith('malicious') ? 'recall' : 'FPR   '} ${pct(b.rate)}`);
  const blocked = scored.filter((s) => decide(s.score, bands) === 'block').length;
  out.push(`  decisions: ${blocked} block of ${test.length}`);

  // Scoring speed: the held-out values in batches, as sentinel:check scores them; and the model path alone.
  const values = test.map((s) => s.value);
  // Per wall second, and per second of this process's CPU time: on a shared, oversubscribed box
  // the second is what one core does (scoring is single-threaded: onnxruntime runs one thread).
  const rate = async (fn: (batch: string[]) => Promise<unknown>): Promise<{ wall: number; cpu: number }> => {
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (let i = 0; i < values.length; i += BATCH) await fn(values.slice(i, i + BATCH));
      const c = process.cpuUsage(c0);
      wall.push(values.length / ((performance.now() - t0) / 1000));
      cpu.push(values.length / ((c.user + c.system) / 1e6));
    }
    return { wall: median(wall), cpu: median(cpu) };
  };
  const fmt = (x: number) => Math.round(x).toLocaleString('en');
  const pipeline = await rate((b) => guard.score(b));
  const modelOnly = await rate((b) => guard.modelScores(b));
  out.push(`scoring (batches of ${BATCH}, onnxruntime with one thread), median of 5, per wall second / per CPU second:`);
  out.push(`  pipeline (plain → rules → model): ${fmt(pipeline.wall)} / ${fmt(pipeline.cpu)} values/s`);
  out.push(`  every value through the model:    ${fmt(modelOnly.wall)} / ${fmt(modelOnly.cpu)} values/s`);
  await guard.close();

  const loads: number[] = [];
  for (let i = 0; i < 6; i++) {
    const g = await SqlGuard.load(defaultManifestPath());
    loads.push(g.loadMs);
    await g.close();
  }
  out.push(`model load (read + sha256 + onnxruntime session), median of 6: ${median(loads).toFixed(1)} ms (the process's first, loading the native library too: ${firstLoad.toFixed(1)} ms)`);
}

async function rest(out: string[]): Promise<void> {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  await pool.query(`create table ${TABLE} (id serial primary key, name text not null, price double precision)`);
  await pool.query(`insert into ${TABLE} (name, price) select 'item ' || g, g / 10.0 from generate_series(1, 10000) g`);
  const off = await bootMobo();
  const on = await bootMobo({ MOBO_SENTINEL__ENABLED: 'true' });
  try {
    const load = (n: { base: string; key: string }, connections = 32) =>
      // A browser-like User-Agent: Sentinel inspects it (and caches its score), as for real clients.
      wrk({ url: n.base, connections, seconds: SECONDS, lua: luaScript({ headers: { authorization: `Bearer ${n.key}`, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36' }, path: `/v1/bench/pg/${TABLE}/{id}` }) });
    await load(off);
    await load(on); // warm-up of both
    const results: { off: WrkResult[]; on: WrkResult[] } = { off: [], on: [] };
    for (let r = 0; r < ROUNDS; r++) {
      results.off.push(await load(off));
      results.on.push(await load(on));
    }
    const m = (rs: WrkResult[], k: 'rps' | 'p99ms' | 'p50ms') => median(rs.map((x) => x[k]));
    out.push(`REST get by id, wrk 2 threads × 32 connections, ${SECONDS} s × ${ROUNDS} rounds alternating, medians:`);
    out.push(`  sentinel off ${Math.round(m(results.off, 'rps'))} req/s · p50 ${m(results.off, 'p50ms').toFixed(2)} ms · p99 ${m(results.off, 'p99ms').toFixed(2)} ms`);
    out.push(`  sentinel on  ${Math.round(m(results.on, 'rps'))} req/s · p50 ${m(results.on, 'p50ms').toFixed(2)} ms · p99 ${m(results.on, 'p99ms').toFixed(2)} ms`);
    out.push(`  on/off throughput ${(m(results.on, 'rps') / m(results.off, 'rps')).toFixed(3)}× · added p99 ${(m(results.on, 'p99ms') - m(results.off, 'p99ms')).toFixed(3)} ms · errors ${[...results.off, ...results.on].reduce((a, x) => a + x.errors, 0)}`);
    out.push(`  per round (off/on req/s): ${results.off.map((x, i) => `${Math.round(x.rps)}/${Math.round(results.on[i]!.rps)}`).join(', ')}`);
    // At 32 connections on two cores p99 is queueing: what Sentinel adds to one request shows at one connection.
    const single: { off: WrkResult[]; on: WrkResult[] } = { off: [], on: [] };
    for (let r = 0; r < ROUNDS; r++) {
      single.off.push(await load(off, 1));
      single.on.push(await load(on, 1));
    }
    out.push(`REST get by id, one connection (no queueing), ${SECONDS} s × ${ROUNDS} rounds alternating, medians:`);
    out.push(`  sentinel off p50 ${m(single.off, 'p50ms').toFixed(3)} ms · p99 ${m(single.off, 'p99ms').toFixed(3)} ms · ${Math.round(m(single.off, 'rps'))} req/s`);
    out.push(`  sentinel on  p50 ${m(single.on, 'p50ms').toFixed(3)} ms · p99 ${m(single.on, 'p99ms').toFixed(3)} ms · ${Math.round(m(single.on, 'rps'))} req/s`);
    out.push(`  added p50 ${(m(single.on, 'p50ms') - m(single.off, 'p50ms')).toFixed(3)} ms · added p99 ${(m(single.on, 'p99ms') - m(single.off, 'p99ms')).toFixed(3)} ms (goal ≤ 0.3 ms)`);
  } finally {
    off.proc.kill('SIGTERM');
    on.proc.kill('SIGTERM');
    await pool.query(`drop table if exists ${TABLE}`);
    await pool.end();
  }
}

export async function run(): Promise<string[]> {
  const out = [`MagSentinel · ${describeMachine()} · ${describeLoad()}`];
  await detection(out);
  await rest(out);
  out.push(`after: ${describeLoad()}`);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve('dist/bench/sentinel.js')) {
  for (const line of await run()) console.log(line);
  process.exit(0);
}
