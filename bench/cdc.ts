/**
 * Durable change capture (issue 15): Postgres triggers + NOTIFY against logical replication,
 * in the same run.
 *
 * 1. Inserts per second with a change subscriber on (what realtime does): CDC_INSERTS
 *    single-row inserts through the adapter, CDC_CONCURRENCY in flight (group commit merges
 *    them), on each path: trigger, logical (embedded: the reader in this process) and logical
 *    relayed through JetStream (the cluster path), each timed until the last change arrived.
 *    Goal: logical ≥ 2× trigger.
 * 2. Table change → pusher-js client latency: an embedded node (dist/bundle/main.js) with a
 *    Postgres source, CDC_CLIENTS pusher-js clients subscribed to the table's channel, rows
 *    inserted with plain SQL (outside the node), each stamped with the insert's send time;
 *    p50/p99 over every client's receipt, per path.
 *
 *   npm run bench -- --only cdc      (sizes: CDC_INSERTS, CDC_CONCURRENCY, CDC_CLIENTS, CDC_EVENTS)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { createAdapter, dropChangeCapture, type ChangeRelay, type SourceConfig } from '../adapters/index.js';
import { adminApi, realtimeBench, type AdminApi } from './admin-api.js';
import { subscribeClients, type PusherClient } from './pusher-clients.js';
import { fmtSummary, summarize } from './stats.js';
import { stopper, waitForLine } from './ws-servers.js';

const env = process.env;
const PG_URL = env['PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const NATS_URL = env['NATS_URL'] ?? '127.0.0.1:4222';
const INSERTS = Number(env['CDC_INSERTS'] ?? 20_000);
const CONCURRENCY = Number(env['CDC_CONCURRENCY'] ?? 64);
const CLIENTS = Number(env['CDC_CLIENTS'] ?? 100);
const EVENTS = Number(env['CDC_EVENTS'] ?? 200);
const DEADLINE_MS = 120_000;

type Path = 'trigger' | 'logical' | 'logical+jetstream';

const sql = async (text: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> => {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as Array<Record<string, unknown>>;
  } finally {
    await client.end();
  }
};

/** Resolves when `check` holds, polled; rejects after the deadline. */
async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + DEADLINE_MS;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function insertRate(path: Path): Promise<{ path: Path; perSecond: number; deliveredPerSecond: number }> {
  const run = randomBytes(4).toString('hex');
  const schema = `mobo_cdcbench_${run}`;
  await sql(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.items (id serial PRIMARY KEY, note text NOT NULL)`);
  let relay: (ChangeRelay & { close(): Promise<void> }) | undefined;
  if (path === 'logical+jetstream') {
    const { JetStreamChangeRelay } = await import('../cluster/change-relay.js');
    relay = await JetStreamChangeRelay.open({ servers: NATS_URL, clusterId: `cdcbench_${run}`, nodeId: 'bench' });
  }
  const config: SourceConfig = { kind: 'postgres', url: PG_URL, namespace: schema, changes: path === 'trigger' ? 'trigger' : 'logical', captureKey: `bench_${run}`, pool: { max: 10 } };
  const adapter = createAdapter(config, relay ? { changeRelay: relay } : {});
  try {
    await adapter.connect();
    let heard = 0;
    const feed = await adapter.watch(() => void heard++);
    const insertMany = async (n: number): Promise<void> => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next++ < n) await adapter.insert('items', [{ note: 'bench' }], false);
        }),
      );
    };
    await insertMany(500);
    await until(() => heard >= 500, `${path}: warm-up changes`);
    heard = 0;
    const t0 = performance.now();
    await insertMany(INSERTS);
    const inserted = performance.now() - t0;
    await until(() => heard >= INSERTS, `${path}: every change delivered`);
    const delivered = performance.now() - t0;
    await feed.close();
    return { path, perSecond: INSERTS / (inserted / 1000), deliveredPerSecond: INSERTS / (delivered / 1000) };
  } finally {
    await adapter.close();
    await dropChangeCapture(config, relay).catch(() => undefined);
    await relay?.close();
    if (relay) {
      const { dropClusterBuckets } = await import('./members.js');
      await dropClusterBuckets(NATS_URL, `cdcbench_${run}`);
    }
    await sql(`DROP SCHEMA ${schema} CASCADE`);
  }
}

/** An embedded node on the given path, CLIENTS pusher-js clients on one table's channel, EVENTS rows inserted with SQL. */
async function clientLatency(path: 'trigger' | 'logical'): Promise<string> {
  const run = randomBytes(4).toString('hex');
  const schema = `mobo_cdclat_${run}`;
  await sql(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.items (id integer PRIMARY KEY, t double precision NOT NULL)`);
  const dir = mkdtempSync(join(tmpdir(), 'mobo-cdcbench-'));
  writeFileSync(join(dir, 'mobo.config.json'), JSON.stringify({ log: { level: 'warn', format: 'json' }, ds: { changes: path }, realtime: { maxConnections: 50_000, maxConnectionsPerIp: 50_000 } }));
  const proc = spawn(process.execPath, [resolve('dist/bundle/main.js'), 'boot'], { cwd: dir, env: { ...env, MOBO_HTTP_PORT: '0', MOBO_DATA_DIR: join(dir, '.mobo') }, stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = stopper(proc);
  const clients: PusherClient[] = [];
  let admin: AdminApi | undefined;
  try {
    await waitForLine(proc, /READY|"event":"ready"/, 'mobo boot');
    const port = (JSON.parse(readFileSync(join(dir, '.mobo', 'node.json'), 'utf8')) as { port: number }).port;
    const token = readFileSync(join(dir, '.mobo', 'admin.token'), 'utf8').trim();
    admin = adminApi(`http://127.0.0.1:${port}`, token);
    const { app, apiKey } = await realtimeBench(admin, PG_URL, schema);
    const samples: number[] = [];
    const target = { port, appKey: app.key, authEndpoint: app.authEndpoint, apiKey };
    clients.push(
      ...(await subscribeClients<{ row?: { t?: number } }>(Array.from({ length: CLIENTS }, () => target), 'private-db-pg.items', (data) => {
        if (typeof data?.row?.t === 'number') samples.push(performance.timeOrigin + performance.now() - data.row.t);
      })),
    );
    const writer = new pg.Client({ connectionString: PG_URL });
    await writer.connect();
    try {
      // Warm-up row: the first change waits for the feed's start.
      await writer.query(`INSERT INTO ${schema}.items VALUES (0, $1)`, [performance.timeOrigin + performance.now()]);
      await until(() => samples.length >= CLIENTS, `${path}: warm-up change at every client`);
      samples.length = 0;
      for (let id = 1; id <= EVENTS; id++) {
        await writer.query(`INSERT INTO ${schema}.items VALUES ($1, $2)`, [id, performance.timeOrigin + performance.now()]);
        await until(() => samples.length >= id * CLIENTS, `${path}: change ${id} at every client`);
      }
    } finally {
      await writer.end();
    }
    return `  change → pusher-js, ${path.padEnd(8)} ${CLIENTS} clients × ${EVENTS} changes: ${fmtSummary(summarize(samples))}`;
  } finally {
    for (const c of clients) c.disconnect();
    // The source goes, and its slot and publication with it.
    await admin?.('DELETE', '/v1/admin/projects/bench/sources/pg').catch(() => undefined);
    await stop();
    await sql(`DROP SCHEMA ${schema} CASCADE`);
  }
}

export async function run(): Promise<string[]> {
  const lines = [`## Change capture: triggers + NOTIFY vs logical replication (${INSERTS} inserts, ${CONCURRENCY} in flight)`];
  const rates = [];
  for (const path of ['trigger', 'logical', 'logical+jetstream'] as const) {
    const r = await insertRate(path);
    rates.push(r);
    lines.push(`  inserts/s with a subscriber, ${path.padEnd(17)} ${r.perSecond.toFixed(0).padStart(7)} acknowledged · ${r.deliveredPerSecond.toFixed(0).padStart(7)} delivered`);
  }
  const trigger = rates[0]!.perSecond;
  for (const r of rates.slice(1)) lines.push(`  ${r.path} ÷ trigger: ${(r.perSecond / trigger).toFixed(2)}× (goal ≥ 2×)`);
  for (const path of ['logical', 'trigger'] as const) lines.push(await clientLatency(path));
  return lines;
}
