import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import { changeTopic } from '../../actors/ds/connection.js';
import type { TableInfo } from '../../adapters/types.js';
import { tempDir } from '../support/cli.js';
import { startTestNode } from '../support/node.js';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer.js';
import { pgQuery } from '../support/sql.js';
import { deferred, waitFor } from '../support/wait.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

/**
 * Tenants on one node: a budget spent answers REST with 503 DS_BUSY and Retry-After, then
 * serves again; /metrics and node.status show the server's connections and each project's
 * requests; a source behind PgBouncer publishes its changes (the feed on feedUrl) for realtime.
 */
const DIRECT = 'postgres://postgres@127.0.0.1:5432/test';
const tag = Math.random().toString(36).slice(2, 8);
const schemas = [`mobo_tn_a_${tag}`, `mobo_tn_b_${tag}`, `mobo_tn_c_${tag}`];
const items: TableInfo = {
  name: 'items',
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false },
    { name: 'note', type: 'text', nativeType: 'text', nullable: true, hasDefault: false },
  ],
};

describe('many tenants on one node', () => {
  const dir = tempDir('mobo-tenants-');
  let node: MoboNode;
  let bouncer: PgBouncer;
  let base: string;
  let keys: Record<string, string>;
  const ask = <T>(actor: string, type: string, payload: unknown) => node.system.ref(node.address(actor)).ask<T>(type, payload, { timeoutMs: 30_000 });

  beforeAll(async () => {
    bouncer = await startPgBouncer();
    for (const s of schemas) await pgQuery(DIRECT, `CREATE SCHEMA "${s}"`);
    const roomy = { MOBO_RATE_LIMITS__PER_IP__RPS: '10000', MOBO_RATE_LIMITS__PER_IP__BURST: '10000', MOBO_RATE_LIMITS__PER_KEY__RPS: '10000', MOBO_RATE_LIMITS__PER_KEY__BURST: '10000' };
    // Three connections for the whole server (the feed's LISTEN takes one), a short wait before DS_BUSY.
    node = await startTestNode({ ...roomy, MOBO_DS__BUDGET: '3', MOBO_DS__BUDGET_WAIT_MS: '300' }, dir);
    keys = {};
    for (const [i, s] of schemas.entries()) {
      const project = `t${i}-${tag}`;
      await ask('catalog', 'project.create', { project });
      const url = i === 2 ? bouncer.url('test', `?schema=${s}`) : `${DIRECT}?schema=${s}`;
      await ask('catalog', 'source.add', { project, name: 'main', kind: 'postgres', url, ...(i === 2 ? { feedUrl: DIRECT } : {}) });
      await new DataClient(node.system.ref(sourceAddress(project, 'main'))).createTable(items);
      keys[project] = (await ask<{ key: string }>('auth', 'key.create', { project, role: 'developer' })).key;
    }
    base = `http://127.0.0.1:${(JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as { port: number }).port}`;
  });
  afterAll(async () => {
    await node?.stop();
    await bouncer?.stop();
    for (const s of schemas) await pgQuery(DIRECT, `DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => undefined);
  });

  const get = (project: string, query = '') => fetch(`${base}/v1/${project}/main/items${query}`, { headers: { authorization: `Bearer ${keys[project]}` } });

  it('answers 503 DS_BUSY with Retry-After while the budget is spent, then serves again', async () => {
    const [t0, t1] = [`t0-${tag}`, `t1-${tag}`];
    expect((await get(t0)).status).toBe(200);
    // A client outside the node locks tenant 1's table: its two requests hold the two permits the feed's LISTEN left.
    const locker = new pg.Client({ connectionString: DIRECT });
    await locker.connect();
    try {
      await locker.query(`BEGIN; LOCK TABLE "${schemas[1]}".items IN ACCESS EXCLUSIVE MODE`);
      const blocked = [get(t1, '?note=a'), get(t1, '?note=b')];
      await waitFor(async () => {
        const s = await ask<{ connections: Array<{ server: string; inUse: number }> }>('control', 'node.status', null);
        return s.connections.find((c) => c.server === '127.0.0.1:5432')?.inUse === 3;
      }, 'both requests of tenant 1 hold a connection');
      const busy = await get(t0);
      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toBe('1');
      expect(((await busy.json()) as { error: { code: string } }).error.code).toBe('DS_BUSY');
      await locker.query('COMMIT');
      expect((await Promise.all(blocked)).map((r) => r.status)).toEqual([200, 200]);
    } finally {
      await locker.end();
    }
    expect((await get(t0)).status).toBe(200);
  });

  it('shows connections per server and requests per project in node.status and /metrics', async () => {
    const status = await ask<{ connections: Array<{ server: string; budget: number; inUse: number; idle: number; waiting: number; opened: number }> }>('control', 'node.status', null);
    const local = status.connections.find((c) => c.server === '127.0.0.1:5432')!;
    expect(local).toMatchObject({ budget: 3, waiting: 0 });
    expect(local.opened).toBeGreaterThanOrEqual(1);
    expect(local.inUse + local.idle).toBeLessThanOrEqual(3);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('mobo_ds_server_connections{server="127.0.0.1:5432",state="budget"} 3');
    const opened = Number(/mobo_ds_server_connections_opened_total\{server="127\.0\.0\.1:5432"\} (\d+)/.exec(metrics)?.[1]);
    expect(opened).toBeGreaterThanOrEqual(local.opened);
    expect(metrics).toMatch(new RegExp(`mobo_project_requests_total\\{project="t0-${tag}"\\} [3-9]`));
    expect(metrics).toMatch(new RegExp(`mobo_project_requests_total\\{project="t1-${tag}"\\} 2`));
  });

  it('publishes the changes of a source behind PgBouncer (its feed on feedUrl) on the bus realtime reads', async () => {
    const project = `t2-${tag}`;
    const seen = deferred<Record<string, unknown>>();
    const off = node.system.events.on<{ row?: Record<string, unknown> }>(changeTopic(project, 'main', 'items'), (e) => seen.resolve(e.payload.row ?? {}));
    try {
      const res = await fetch(`${base}/v1/${project}/main/items`, { method: 'POST', headers: { authorization: `Bearer ${keys[project]}`, 'content-type': 'application/json' }, body: JSON.stringify({ id: 7, note: "through the pooler — it's fine" }) });
      expect(res.status).toBe(201);
      expect(await seen.promise).toEqual({ id: 7, note: "through the pooler — it's fine" });
    } finally {
      off();
    }
  });
});
