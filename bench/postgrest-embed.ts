/**
 * Issue 13's benchmark: the two-level embed `todos?select=*,owner:users(*),tags(*)` over 10k
 * todos through MagGate's /rest/v1 (one statement compiled by adapters/sql/rest/) against the
 * same result hand-written as one SQL statement through raw pg, in the same run; median of
 * several runs. Goal ≤ 1.3×. `npm run bench -- --only postgrest-embed`
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { defaultSlots } from '../actors/components.js';
import { configSections } from '../actors/motherboard.js';
import { MoboNode } from '../actors/node.js';
import { loadConfig } from '../config/load.js';
import { Logger } from '../runtime/logger.js';
import { describeLoad } from './machine.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Each of `fns` once per round, round after round (so drifting load hits all alike), after one warm-up round. */
async function alternating(fns: Array<() => Promise<unknown>>): Promise<number[][]> {
  for (const fn of fns) await fn();
  const out: number[][] = fns.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [k, fn] of fns.entries()) {
      const t0 = performance.now();
      await fn();
      out[k]!.push(performance.now() - t0);
    }
  }
  return out;
}

export async function run(): Promise<string[]> {
  const schema = `bench_embed_${Math.random().toString(36).slice(2, 8)}`;
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  await pool.query(`CREATE SCHEMA ${schema}; SET search_path = ${schema};
    CREATE TABLE users (id int PRIMARY KEY, name text, email text);
    CREATE TABLE todos (id int PRIMARY KEY, title text, done boolean, owner_id int REFERENCES users(id));
    CREATE TABLE tags (id int PRIMARY KEY, todo_id int REFERENCES todos(id), label text);
    CREATE INDEX ON tags (todo_id);
    INSERT INTO users SELECT g, 'user ' || g, 'u' || g || '@x.test' FROM generate_series(1, 1000) g;
    INSERT INTO todos SELECT g, 'todo ' || g, g % 2 = 0, 1 + g % 1000 FROM generate_series(1, 10000) g;
    INSERT INTO tags SELECT g, 1 + g % 10000, 'tag ' || (g % 7) FROM generate_series(1, 20000) g;
    ANALYZE users; ANALYZE todos; ANALYZE tags;`);
  const dataDir = mkdtempSync(join(tmpdir(), 'mobo-bench-embed-'));
  const roomy = { MOBO_RATE_LIMITS__PER_IP__RPS: '1e9', MOBO_RATE_LIMITS__PER_IP__BURST: '1000000000', MOBO_RATE_LIMITS__PER_KEY__RPS: '1e9', MOBO_RATE_LIMITS__PER_KEY__BURST: '1000000000' };
  const loaded = loadConfig({ cwd: dataDir, env: { MOBO_HTTP_PORT: '0', MOBO_DATA_DIR: dataDir, MOBO_HEALTH__INTERVAL_MS: '0', ...roomy }, sections: configSections(defaultSlots()) });
  const node = await MoboNode.create({ loaded, log: Logger.silent() });
  await node.boot();
  try {
    const ask = <T>(actor: string, type: string, payload: unknown) => node.system.ref(node.address(actor)).ask<T>(type, payload, { timeoutMs: 30_000 });
    await ask('catalog', 'project.create', { project: 'bench' });
    await ask('catalog', 'source.add', { project: 'bench', name: 'pg', kind: 'postgres', url: PG_URL, namespace: schema });
    const { key } = await ask<{ key: string }>('auth', 'key.create', { project: 'bench', role: 'owner' });
    const { port } = JSON.parse(readFileSync(join(dataDir, 'node.json'), 'utf8')) as { port: number };
    const url = `http://127.0.0.1:${port}/rest/v1/bench/pg/todos?select=*,owner:users(*),tags(*)`;
    // As fetch asks by default (gzip, inflated by the client), and uncompressed: the same bytes raw pg hands over.
    const viaMobo = (encoding: 'gzip' | 'identity') => async () => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${key}`, 'accept-encoding': encoding } });
      const rows = (await res.json()) as unknown[];
      if (rows.length !== 10_000) throw new Error(`expected 10000 rows, got ${rows.length}`);
    };
    const sql = `SELECT COALESCE(json_agg(r), '[]')::text AS body FROM (
        SELECT t.*, (SELECT to_json(u) FROM ${schema}.users u WHERE u.id = t.owner_id) AS owner,
               (SELECT COALESCE(json_agg(g), '[]') FROM ${schema}.tags g WHERE g.todo_id = t.id) AS tags
        FROM ${schema}.todos t) r`;
    const viaPg = async () => {
      const { rows } = await pool.query<{ body: string }>(sql);
      const parsed = JSON.parse(rows[0]!.body) as unknown[];
      if (parsed.length !== 10_000) throw new Error('raw pg lost rows');
    };
    const [rawRuns, plainRuns, gzipRuns] = await alternating([viaPg, viaMobo('identity'), viaMobo('gzip')]);
    const [raw, plain, zipped] = [median(rawRuns!), median(plainRuns!), median(gzipRuns!)];
    return [
      `\n## postgrest-embed: todos?select=*,owner:users(*),tags(*) over 10k todos (1k users, 20k tags), median of ${RUNS} alternating rounds`,
      `  ${describeLoad()}`,
      `  raw pg, one hand-written statement: ${raw.toFixed(1)} ms`,
      `  MagGate /rest/v1 (HTTP, auth, one statement), uncompressed: ${plain.toFixed(1)} ms · ratio ${(plain / raw).toFixed(2)}x (goal ≤ 1.3x): ${plain / raw <= 1.3 ? 'PASS' : 'MISS'}`,
      `  the same, gzip as fetch asks (compressed and inflated): ${zipped.toFixed(1)} ms · ratio ${(zipped / raw).toFixed(2)}x`,
    ];
  } finally {
    await node.stop();
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
  }
}
