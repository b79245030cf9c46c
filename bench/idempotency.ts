/**
 * What an Idempotency-Key costs on REST inserts: the same wrk insert load on one node (embedded
 * SQLite control store, Postgres data source) without a key and with a fresh key per request
 * (a claim in the control store before the write, the outcome recorded after it), alternated
 * over several rounds in one run; the median of each side and their ratio.
 */
import pg from 'pg';
import { bootMobo, stop } from './gateway.js';
import { fmtRate, summarize, type Report } from './stats.js';
import { wrk } from './wrk.js';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Its own table (a random suffix): other benches and tests may run beside it. */
const TABLE = `mobo_bench_idem_${Math.random().toString(36).slice(2, 8)}`;
const CONNECTIONS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** wrk Lua: POST one row per request; with `keyed`, a key no other request of the run uses (run tag, thread, counter). */
function insertLua(key: string, keyed: boolean): string {
  const tag = Math.random().toString(36).slice(2);
  return `local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
request = function()
  n = n + 1
  -- wrk.format takes these instead of wrk.headers, not beside them.
  local headers = { ["authorization"] = "Bearer ${key}", ["content-type"] = "application/json" }
  ${keyed ? `headers["idempotency-key"] = "${tag}-" .. tostring(tid) .. "-" .. n` : ''}
  return wrk.format("POST", "/v1/bench/pg/${TABLE}", headers, '{"name":"n' .. n .. '","price":1.5}')
end
`;
}

export async function run(report: Report): Promise<void> {
  report.section(`Idempotency-Key on REST inserts (wrk, ${CONNECTIONS} connections, ${SECONDS} s × ${ROUNDS} rounds each, alternated)`);
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  await pool.query(`create table ${TABLE} (id serial primary key, name text not null, price double precision, created_at timestamptz not null default now())`);
  const node = await bootMobo();
  const plain: number[] = [];
  const keyed: number[] = [];
  let errors = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [withKey, into] of [[false, plain], [true, keyed]] as const) {
        const r = await wrk({ url: node.base, connections: CONNECTIONS, seconds: SECONDS, lua: insertLua(node.key, withKey) });
        into.push(r.rps);
        errors += r.errors;
      }
    }
  } finally {
    await stop(node.proc);
    await pool.query(`drop table if exists ${TABLE}`);
    await pool.end();
  }
  const p = summarize(plain).p50;
  const k = summarize(keyed).p50;
  report.line('insert, no key (median)', `${fmtRate(p)}  [${plain.map((v) => fmtRate(v)).join(', ')}]`);
  report.line('insert, Idempotency-Key (median)', `${fmtRate(k)}  [${keyed.map((v) => fmtRate(v)).join(', ')}]`);
  report.ratio('throughput no key ÷ with key', p, k);
  if (errors) report.note(`${errors} non-2xx answers or socket errors`);
}
