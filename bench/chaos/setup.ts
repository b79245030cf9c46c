/**
 * The data a chaos run writes: a throwaway Postgres database with one table, added to a fresh
 * project as a source, an admin API key for clients, and the project's realtime app.
 *
 * `write_id` is deliberately not unique: a write applied twice (one Idempotency-Key run twice)
 * must show up as two rows for the checker, not be hidden by a constraint.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { ClusterNodeProcess, HaproxyCluster } from '../cluster-haproxy.js';
import type { TableRow } from './history.js';
import { waitUntil } from './wait.js';

export const PROJECT = 'chaos';
export const SOURCE = 'pg';
export const TABLE = 'chaos_writes';

export interface ChaosData {
  /** `/v1/chaos/pg/chaos_writes`, relative to a node or the load balancer. */
  path: string;
  apiKey: string;
  realtime: { key: string; authEndpoint: string };
  /** Every row, read straight from Postgres (the system of record). */
  rows(): Promise<TableRow[]>;
  /** Drops the database (and its replication slots): after the nodes stopped. */
  drop(): Promise<void>;
}

export function adminToken(node: ClusterNodeProcess): string {
  return readFileSync(join(node.dir, 'admin.token'), 'utf8').trim();
}

export async function adminCall<T>(node: ClusterNodeProcess, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(node.url + path, {
    method,
    headers: { authorization: `Bearer ${adminToken(node)}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(20_000),
  });
  const json = (await res.json()) as { data?: T; error?: unknown };
  if (!res.ok) throw new Error(`${method} ${path} on ${node.id}: ${res.status} ${JSON.stringify(json.error)}`);
  return json.data as T;
}

export async function prepareChaosData(lb: HaproxyCluster, pgAdminUrl: string): Promise<ChaosData> {
  const db = `mobo_chaos_data_${lb.cluster.replace(/^lb_/, '')}`;
  const admin = new pg.Client({ connectionString: pgAdminUrl });
  await admin.connect();
  await admin.query(`create database ${db}`);
  const url = new URL(pgAdminUrl);
  url.pathname = `/${db}`;
  const data = new pg.Client({ connectionString: url.toString() });
  const drop = async (): Promise<void> => {
    await data.end().catch(() => undefined);
    // Logical capture leaves a replication slot named after the source; it must go before the database,
    // and can only once its node's walsender has gone (call this after the nodes stopped).
    const slotsGone = async (): Promise<boolean> => {
      await admin.query(`select pg_drop_replication_slot(slot_name) from pg_replication_slots where database = $1 and not active`, [db]).catch(() => undefined);
      return (await admin.query(`select 1 from pg_replication_slots where database = $1`, [db])).rowCount === 0;
    };
    await waitUntil(slotsGone, `the replication slots of ${db} to be dropped`, 15_000).catch(() => undefined);
    await admin.query(`drop database if exists ${db} with (force)`).catch(() => undefined);
    await admin.end();
  };
  try {
    await data.connect();
    await data.query(`create table ${TABLE} (seq bigserial primary key, write_id text not null, writer integer not null)`);
    const first = lb.nodes[0]!;
    await adminCall(first, 'POST', '/v1/admin/projects', { name: PROJECT });
    await adminCall(first, 'POST', `/v1/admin/projects/${PROJECT}/sources`, { name: SOURCE, kind: 'postgres', url: url.toString() });
    const { key } = await adminCall<{ key: string }>(first, 'POST', `/v1/admin/projects/${PROJECT}/keys`, { role: 'admin' });
    const app = await adminCall<{ key: string; authEndpoint: string }>(first, 'GET', `/v1/admin/projects/${PROJECT}/realtime`);
    const path = `/v1/${PROJECT}/${SOURCE}/${TABLE}`;
    // Every node starts the source from the catalog's announcement: wait until each serves the table.
    for (const node of lb.nodes) {
      await waitUntil(
        () => fetch(`${node.url}${path}?limit=1`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.ok, () => false),
        `${node.id} to serve ${path}`,
        60_000,
      );
    }
    return {
      path,
      apiKey: key,
      realtime: { key: app.key, authEndpoint: app.authEndpoint },
      rows: async () => (await data.query<{ write_id: string; seq: string }>(`select write_id, seq from ${TABLE} order by seq`)).rows.map((r) => ({ writeId: r.write_id, seq: Number(r.seq) })),
      drop,
    };
  } catch (err) {
    await drop();
    throw err;
  }
}
