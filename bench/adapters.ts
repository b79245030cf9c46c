/**
 * MagDS adapter overhead: the Postgres adapter next to raw `pg` in the same run, same pool
 * size, same table. Point read by primary key and batched insert (100 rows per statement).
 * The ratio is raw ops/s over adapter ops/s (1.00× = no overhead; goal ≤ 1.15×).
 *
 * Run: npm run build && node dist/bench/adapters.js   (or via dist/bench/run.js --only adapters)
 * Needs Postgres at PG_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { createAdapter } from '../adapters/index.js';
import { DEFAULT_POOL } from '../adapters/options.js';
import type { Row } from '../adapters/types.js';
import { describeMachine } from './machine.js';
import { concurrent, fmtRate, fmtSummary, type Throughput } from './stats.js';

const URL = process.env['PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const POOL = 8;
const IN_FLIGHT = 8;
const SEED_ROWS = 10_000;
const READS = 20_000;
const BATCH_ROWS = 100;
const BATCHES = 400;
const ROUNDS = 5;
const GOAL = 1.15;

interface Pair {
  label: string;
  unit: string;
  adapter: Throughput;
  raw: Throughput;
}

export async function run(): Promise<string[]> {
  const schema = `mobo_bench_${randomBytes(4).toString('hex')}`;
  // The raw pool is configured exactly as the adapter configures its own.
  const raw = new pg.Pool({ connectionString: URL, max: POOL, idleTimeoutMillis: DEFAULT_POOL.idleTimeoutMs, connectionTimeoutMillis: DEFAULT_POOL.connectTimeoutMs });
  await raw.query(`CREATE SCHEMA "${schema}"`);
  const adapter = createAdapter({ kind: 'postgres', url: URL, namespace: schema, pool: { max: POOL } });
  await adapter.connect();
  try {
    await adapter.createTable({
      name: 'bench_rows',
      primaryKey: ['id'],
      columns: [
        { name: 'id', type: 'integer', nativeType: 'bigint', nullable: false, hasDefault: true },
        { name: 'name', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
        { name: 'qty', type: 'integer', nativeType: 'bigint', nullable: true, hasDefault: false },
        { name: 'score', type: 'float', nativeType: 'double precision', nullable: true, hasDefault: false },
      ],
    });
    const table = `"${schema}"."bench_rows"`;
    const batch = (i: number): Row[] => Array.from({ length: BATCH_ROWS }, (_, j) => ({ name: `row ${i}.${j}`, qty: j, score: j / 3 }));
    for (let i = 0; i < SEED_ROWS / BATCH_ROWS; i++) await adapter.insert('bench_rows', batch(i));
    const id = (i: number): number => 1 + ((i * 7919) % SEED_ROWS);

    const insertSql = `INSERT INTO ${table} ("name", "qty", "score") VALUES ${Array.from({ length: BATCH_ROWS }, (_, j) => `($${3 * j + 1}, $${3 * j + 2}, $${3 * j + 3})`).join(', ')}`;
    const pairs: Pair[] = [
      await measure('point read by pk', 'reads/s', READS, {
        adapter: (i) => adapter.select({ table: 'bench_rows', where: { op: 'eq', column: 'id', value: id(i) } }),
        raw: (i) => raw.query(`SELECT * FROM ${table} WHERE "id" = $1`, [id(i)]),
      }),
      await measure(`batched insert (${BATCH_ROWS} rows)`, 'batches/s', BATCHES, {
        adapter: (i) => adapter.insert('bench_rows', batch(i)),
        raw: (i) => raw.query(insertSql, batch(i).flatMap((r) => [r['name'], r['qty'], r['score']])),
      }),
    ];
    return report(pairs);
  } finally {
    await adapter.close();
    await raw.query(`DROP SCHEMA "${schema}" CASCADE`);
    await raw.end();
  }
}

/** Alternates adapter and raw rounds (so drift hits both) and keeps each side's best round. */
async function measure(label: string, unit: string, count: number, fns: Record<'adapter' | 'raw', (i: number) => Promise<unknown>>): Promise<Pair> {
  const best: Partial<Record<'adapter' | 'raw', Throughput>> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of round % 2 === 0 ? (['adapter', 'raw'] as const) : (['raw', 'adapter'] as const)) {
      const result = await concurrent({ warmup: Math.ceil(count / 10), count, inFlight: IN_FLIGHT }, fns[side]);
      if (!best[side] || result.opsPerSec > best[side].opsPerSec) best[side] = result;
    }
  }
  return { label, unit, adapter: best.adapter!, raw: best.raw! };
}

function report(pairs: Pair[]): string[] {
  const lines = [
    `MagDS adapters · ${new Date().toISOString()}`,
    `machine: ${describeMachine()}`,
    `Postgres adapter vs raw pg, pool ${POOL}, ${IN_FLIGHT} in flight, best of ${ROUNDS} alternating rounds`,
  ];
  for (const p of pairs) {
    const ratio = p.raw.opsPerSec / p.adapter.opsPerSec;
    lines.push(
      `  ${p.label}:`,
      `    adapter  ${fmtRate(p.adapter.opsPerSec).replace('ops/s', p.unit)}  ${fmtSummary(p.adapter.latency)}`,
      `    raw pg   ${fmtRate(p.raw.opsPerSec).replace('ops/s', p.unit)}  ${fmtSummary(p.raw.latency)}`,
      `    overhead ${ratio.toFixed(2)}× (goal ≤ ${GOAL.toFixed(2)}×) ${ratio <= GOAL ? 'PASS' : 'MISS'}`,
    );
  }
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().then(
    (lines) => console.log(lines.join('\n')),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
