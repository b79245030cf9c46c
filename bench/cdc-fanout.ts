/**
 * Table change → pusher-js client latency across a cluster (issue 15): three `mobo boot` nodes
 * of one cluster (bench/cluster-haproxy.ts: the machine's NATS, a throwaway control database),
 * a Postgres source captured by logical replication (one node reads the slot, JetStream carries
 * the changes to every node), FANOUT_CLIENTS pusher-js clients spread evenly over the three
 * nodes and over FANOUT_PROCESSES client processes (pusher-fleet.ts), rows inserted with plain
 * SQL one at a time, each stamped with its send time, the next once every client has the last.
 * p50/p99 over every client's receipt. Goal: p99 < 50 ms at 1,000 subscribers.
 *
 *   npm run bench -- --only cdc-fanout        (FANOUT_CLIENTS, FANOUT_EVENTS, FANOUT_PROCESSES)
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { adminApi, realtimeBench } from './admin-api.js';
import { startHaproxyCluster } from './cluster-haproxy.js';
import { describeLoad } from './machine.js';
import type { ClientTarget } from './pusher-clients.js';
import { startPusherFleet, type PusherFleet } from './pusher-fleet.js';
import { fmtSummary, summarize } from './stats.js';

const env = process.env;
const PG_URL = env['PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const CLIENTS = Number(env['FANOUT_CLIENTS'] ?? 1_000);
const EVENTS = Number(env['FANOUT_EVENTS'] ?? 100);
const PROCESSES = Number(env['FANOUT_PROCESSES'] ?? 4);
const NODES = 3;
const DEADLINE_MS = 60_000;

export async function run(): Promise<string[]> {
  const schema = `mobo_fanout_${randomBytes(4).toString('hex')}`;
  const sql = new pg.Client({ connectionString: PG_URL });
  await sql.connect();
  await sql.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.items (id integer PRIMARY KEY, t double precision NOT NULL)`);
  const open = { MOBO_REALTIME__MAX_CONNECTIONS: '50000', MOBO_REALTIME__MAX_CONNECTIONS_PER_IP: '50000', MOBO_RATE_LIMITS__PER_IP__RPS: '1e9', MOBO_RATE_LIMITS__PER_IP__BURST: '1000000000', MOBO_RATE_LIMITS__PER_KEY__RPS: '1e9', MOBO_RATE_LIMITS__PER_KEY__BURST: '1000000000', MOBO_LOG_LEVEL: 'warn' };
  const lb = await startHaproxyCluster({ nodes: NODES, env: open });
  let fleet: PusherFleet | undefined;
  try {
    const first = lb.nodes[0]!;
    const token = readFileSync(join(first.dir, 'admin.token'), 'utf8').trim();
    const admin = adminApi(first.url, token);
    const { app, apiKey } = await realtimeBench(admin, PG_URL, schema);
    const targets: ClientTarget[] = Array.from({ length: CLIENTS }, (_, i) => ({ port: lb.nodes[i % NODES]!.port, appKey: app.key, authEndpoint: app.authEndpoint, apiKey }));
    fleet = await startPusherFleet(targets, 'private-db-pg.items', PROCESSES);
    const stamp = (): number => performance.timeOrigin + performance.now();
    // Warm-up: the first change waits for every node's feed and the reader's election.
    await sql.query(`INSERT INTO ${schema}.items VALUES (0, $1)`, [stamp()]);
    await fleet.delivered(0, DEADLINE_MS);
    await fleet.collect();
    for (let id = 1; id <= EVENTS; id++) {
      await sql.query(`INSERT INTO ${schema}.items VALUES ($1, $2)`, [id, stamp()]);
      await fleet.delivered(id, DEADLINE_MS);
    }
    const samples = await fleet.collect();
    const status = await admin<{ changes?: Array<{ key: string; path: string; role?: string }> }>('GET', '/v1/admin/status');
    const capture = status.changes?.find((c) => c.key.endsWith('_bench_pg'));
    return [
      `## Change → pusher-js across ${NODES} nodes (logical replication, JetStream relay) · ${describeLoad()}`,
      `  node 1 captures by ${capture?.path ?? '?'} as ${capture?.role ?? '?'}; ${CLIENTS} clients (${Math.ceil(CLIENTS / NODES)} per node, in ${PROCESSES} client processes) × ${EVENTS} changes`,
      `  ${fmtSummary(summarize(samples))} (goal p99 < 50 ms)`,
    ];
  } finally {
    await fleet?.stop();
    await lb.stop();
    await sql.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
    await sql.end();
  }
}
