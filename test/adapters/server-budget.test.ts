import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { budgetStats, createAdapter } from '../../adapters/index.js';
import type { Adapter, SourceConfig, TableInfo } from '../../adapters/types.js';
import { isMoboError, type MoboError } from '../../runtime/errors.js';
import { pgQuery } from '../support/sql.js';
import { deferred } from '../support/wait.js';
import { EventLog, uniqueName, waitFor } from './helpers.js';

/**
 * Many Postgres tenants on one server under one connection budget (adapters/server-budget.ts).
 * Each describe connects as a login role of its own and counts its server connections in
 * pg_stat_activity by that role (other engineers' tests share the server).
 */
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

const ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';

const items: TableInfo = {
  name: 'items',
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false },
    { name: 'note', type: 'text', nativeType: 'text', nullable: true, hasDefault: false },
  ],
};

interface Server {
  role: string;
  database: string;
  url(schema: string): string;
  /** Connections of this role on the server right now. */
  connections(): Promise<number>;
  drop(): Promise<void>;
}

/** A database and a login role of its own; `schemas` schemas in it, owned by the role. */
async function server(schemas: number, options: { connectionLimit?: number } = {}): Promise<Server> {
  const role = uniqueName('mobo_budget');
  const database = role;
  await pgQuery(ADMIN, `CREATE ROLE "${role}" LOGIN CONNECTION LIMIT ${options.connectionLimit ?? -1}`);
  await pgQuery(ADMIN, `CREATE DATABASE "${database}" OWNER "${role}"`);
  const dbUrl = `postgres://postgres@127.0.0.1:5432/${database}`;
  const ddl = Array.from({ length: schemas }, (_, i) => `CREATE SCHEMA "t-${i}" AUTHORIZATION "${role}";`).join('\n');
  if (schemas > 0) await pgQuery(dbUrl, ddl);
  return {
    role,
    database,
    url: (schema) => `postgres://${role}@127.0.0.1:5432/${database}?schema=${encodeURIComponent(schema)}`,
    connections: async () => Number((await pgQuery<{ n: number }>(ADMIN, 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [role]))[0]!.n),
    drop: async () => {
      await pgQuery(ADMIN, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await pgQuery(ADMIN, `DROP ROLE IF EXISTS "${role}"`);
    },
  };
}

const source = (url: string, limit: number, extra: Partial<SourceConfig> = {}): SourceConfig => ({ kind: 'postgres', url, budget: { limit, waitMs: 30_000 }, ...extra });
/** The budget of the local server (this file's describes run one after the other; each configures its limit). */
const stats = (_role: string) => budgetStats().find((s) => s.server === '127.0.0.1:5432')!;

/**
 * The case: 200 tenants on a server that takes 100 connections. The local server allows
 * more, so the role these tenants connect as is limited to 100 (CONNECTION LIMIT: the server
 * itself refuses the 101st, as max_connections 100 would); the budget is 80 and the server's
 * own count of that role's connections (pg_stat_activity) is sampled throughout.
 */
describe('200 Postgres tenants (a schema each) on a server taking 100 connections, budget 80', () => {
  let srv: Server;
  const adapters: Adapter[] = [];
  beforeAll(async () => {
    srv = await server(200, { connectionLimit: 100 });
  });
  afterAll(async () => {
    await Promise.all(adapters.map((a) => a.close().catch(() => undefined)));
    await srv?.drop();
  });

  it('every tenant answers its writes and reads, and the server never sees more than the budget', async () => {
    for (let i = 0; i < 200; i++) adapters.push(createAdapter(source(srv.url(`t-${i}`), 80)));
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) peak = Math.max(peak, await srv.connections(), stats(srv.role)?.open ?? 0);
    })();
    try {
      await Promise.all(adapters.map((a) => a.connect()));
      await Promise.all(adapters.map((a) => a.createTable(items)));
      await Promise.all(adapters.map((a, i) => a.insert('items', [{ id: i, note: `tenant ${i}` }])));
      const read = await Promise.all(adapters.map((a) => a.select({ table: 'items' })));
      expect(read.map((rows) => rows.map((r) => r['note']))).toEqual(adapters.map((_, i) => [`tenant ${i}`]));
    } finally {
      sampling = false;
      await sampler;
    }
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(80);
    expect(stats(srv.role).budget).toBe(80);
  });

  it('their change feeds share one LISTEN connection to the database, each hearing only its own schema', async () => {
    const logs = adapters.slice(0, 20).map(() => new EventLog());
    const feeds = await Promise.all(adapters.slice(0, 20).map((a, i) => a.watch(logs[i]!.push)));
    try {
      const listening = await pgQuery<{ n: number }>(ADMIN, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND application_name = 'mobo:listen'", [srv.role]);
      expect(listening[0]!.n).toBe(1);
      await adapters[7]!.insert('items', [{ id: 1000, note: 'for seven' }]);
      await adapters[3]!.insert('items', [{ id: 1000, note: 'for three' }]);
      await logs[3]!.until((events) => events.length > 0);
      await logs[7]!.until((events) => events.length > 0);
      expect(logs[3]!.events.map((e) => e.row?.['note'])).toEqual(['for three']);
      expect(logs[7]!.events.map((e) => e.row?.['note'])).toEqual(['for seven']);
      expect(logs.filter((_, i) => i !== 3 && i !== 7).every((l) => l.events.length === 0)).toBe(true);
    } finally {
      await Promise.all(feeds.map((f) => f.close()));
    }
    await waitFor(async () => (await pgQuery<{ n: number }>(ADMIN, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND application_name = 'mobo:listen'", [srv.role]))[0]!.n === 0);
  });
});

describe('tenants of one database and role share their connections', () => {
  let srv: Server;
  const adapters: Adapter[] = [];
  afterAll(async () => {
    await Promise.all(adapters.map((a) => a.close().catch(() => undefined)));
    await srv?.drop();
  });

  // The bug this guards: each source had a pool of its own, so with more tenants than the budget
  // nearly every request closed another tenant's idle connection and opened one (1,000 tenants
  // on a budget of 40 served ~110 requests a second and then answered DS_BUSY).
  it('adds tenants one after another on a small budget, each used, all answering, without opening a connection per request', async () => {
    const BUDGET = 4;
    const TENANTS = 60;
    srv = await server(TENANTS);
    await pgQuery(`postgres://postgres@127.0.0.1:5432/${srv.database}`, Array.from({ length: TENANTS }, (_, i) => `CREATE TABLE "t-${i}".items (id integer PRIMARY KEY, note text); ALTER TABLE "t-${i}".items OWNER TO "${srv.role}";`).join('\n'));
    const openedBefore = stats(srv.role)?.opened ?? 0;
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) peak = Math.max(peak, await srv.connections(), stats(srv.role)?.open ?? 0);
    })();
    try {
      for (let i = 0; i < TENANTS; i++) {
        const adapter = createAdapter(source(srv.url(`t-${i}`), BUDGET, { pool: { idleTimeoutMs: 5_000 } }));
        adapters.push(adapter);
        await adapter.connect();
        await adapter.insert('items', [{ id: i, note: `tenant ${i}` }]);
        expect(await adapter.select({ table: 'items' })).toEqual([{ id: i, note: `tenant ${i}` }]);
      }
      // Random tenants, more requests in flight than the budget has connections.
      let next = 0;
      const answers: string[] = [];
      await Promise.all(
        Array.from({ length: 12 }, async () => {
          while (next < 600) {
            const i = next++ % TENANTS;
            const [row] = await adapters[i]!.select({ table: 'items', where: { op: 'eq', column: 'id', value: i } });
            answers.push(String(row?.['note']));
          }
        }),
      );
      expect(answers).toHaveLength(600);
      expect(answers.every((a) => a.startsWith('tenant '))).toBe(true);
    } finally {
      sampling = false;
      await sampler;
    }
    expect(peak).toBeLessThanOrEqual(BUDGET);
    // 660 requests of 60 tenants on connections opened once (at most twice, should one break).
    expect(stats(srv.role).opened - openedBefore).toBeLessThanOrEqual(2 * BUDGET);
    // Idle, every permit comes back and the server sees none of them.
    await waitFor(async () => stats(srv.role).open === 0 && stats(srv.role).waiting === 0 && (await srv.connections()) === 0, 30_000);
    expect(await adapters[TENANTS - 1]!.count({ table: 'items' })).toBe(1);
  });
});

describe('a tenant flooding the server does not starve the others', () => {
  let srv: Server;
  const adapters: Adapter[] = [];
  afterAll(async () => {
    await Promise.all(adapters.map((a) => a.close().catch(() => undefined)));
    await srv?.drop();
  });

  it('answers the other tenants while the flood is still queued', async () => {
    srv = await server(4);
    const [flooder, ...others] = Array.from({ length: 4 }, (_, i) => createAdapter(source(srv.url(`t-${i}`), 4, { pool: { max: 10 } })));
    adapters.push(flooder!, ...others);
    await Promise.all(adapters.map((a) => a.connect()));
    await Promise.all(adapters.map((a) => a.createTable(items)));
    // Every read of the flooder's table waits 20 ms in the server (a row-level policy that sleeps).
    await pgQuery(
      `postgres://postgres@127.0.0.1:5432/${srv.database}`,
      `CREATE FUNCTION "t-0".slow() RETURNS boolean LANGUAGE sql AS 'SELECT pg_sleep(0.02) IS NOT NULL';
       ALTER TABLE "t-0".items ENABLE ROW LEVEL SECURITY; ALTER TABLE "t-0".items FORCE ROW LEVEL SECURITY;
       CREATE POLICY slow ON "t-0".items USING ("t-0".slow());`,
    );
    await flooder!.insert('items', [{ id: 1, note: 'flood' }]);
    const finished: string[] = [];
    const flood = Array.from({ length: 200 }, () => flooder!.select({ table: 'items' }).then(() => void finished.push('flood')));
    // The flood holds the whole budget and has requests queued behind it.
    await waitFor(() => stats(srv.role).open === 4 && stats(srv.role).waiting > 0);
    const served = others.map((a, i) => a.select({ table: 'items' }).then(() => void finished.push(`other ${i}`)));
    await Promise.all([...flood, ...served]);
    // Each other tenant was answered before the flood was half done.
    for (let i = 0; i < others.length; i++) expect(finished.indexOf(`other ${i}`)).toBeLessThan(100);
  });
});

describe('budget exhausted: DS_BUSY, then recovery', () => {
  let srv: Server;
  const adapters: Adapter[] = [];
  afterAll(async () => {
    await Promise.all(adapters.map((a) => a.close().catch(() => undefined)));
    await srv?.drop();
  });

  it('answers DS_BUSY with Retry-After while every permit is held, and serves again when they come back', async () => {
    srv = await server(3);
    adapters.push(...Array.from({ length: 3 }, (_, i) => createAdapter({ kind: 'postgres', url: srv.url(`t-${i}`), budget: { limit: 2, waitMs: 200 } })));
    await Promise.all(adapters.map((a) => a.connect()));
    await adapters[2]!.createTable(items);
    const hold = deferred();
    const holding = [0, 1].map((i) => {
      const entered = deferred();
      const tx = adapters[i]!.transaction(async () => {
        entered.resolve();
        await hold.promise;
      });
      return { entered: entered.promise, tx };
    });
    await Promise.all(holding.map((h) => h.entered));
    expect(await srv.connections()).toBe(2);
    const err = (await adapters[2]!.select({ table: 'items' }).catch((e: unknown) => e)) as MoboError;
    expect(isMoboError(err, 'DS_BUSY')).toBe(true);
    expect(err.details).toMatchObject({ reason: 'budget_exhausted', budget: 2, retryAfterSeconds: 1 });
    hold.resolve();
    await Promise.all(holding.map((h) => h.tx));
    expect(await adapters[2]!.select({ table: 'items' })).toEqual([]);
    expect(await srv.connections()).toBeLessThanOrEqual(2);
  });
});

describe('idle pools close their connections and reopen on demand', () => {
  it('holds no server connection while idle, and answers the next request', async () => {
    const srv = await server(1);
    const adapter = createAdapter(source(srv.url('t-0'), 5, { pool: { idleTimeoutMs: 50 } }));
    try {
      await adapter.connect();
      await adapter.createTable(items);
      await Promise.all(Array.from({ length: 10 }, (_, i) => adapter.insert('items', [{ id: i }])));
      await waitFor(async () => (await srv.connections()) === 0 && stats(srv.role).open === 0);
      expect(await adapter.count({ table: 'items' })).toBe(10);
    } finally {
      await adapter.close();
      await srv.drop();
    }
  });
});

describe('connection failures name their real cause', () => {
  it('reports a missing database, and too many clients for a role limited to one connection', async () => {
    const missing = createAdapter({ kind: 'postgres', url: `postgres://postgres@127.0.0.1:5432/${uniqueName('mobo_missing')}` });
    const err = (await missing.connect().catch((e: unknown) => e)) as MoboError;
    await missing.close().catch(() => undefined);
    expect(err.code).toBe('DS_UNAVAILABLE');
    expect(err.details).toMatchObject({ reason: 'database_missing' });

    const srv = await server(1, { connectionLimit: 1 });
    const adapter = createAdapter(source(srv.url('t-0'), 5));
    try {
      await adapter.connect();
      await adapter.createTable(items);
      const hold = deferred();
      const entered = deferred();
      const tx = adapter.transaction(async () => {
        entered.resolve();
        await hold.promise;
      });
      await entered.promise;
      const refused = (await adapter.count({ table: 'items' }).catch((e: unknown) => e)) as MoboError;
      expect(refused.code).toBe('DS_UNAVAILABLE');
      expect(refused.details).toMatchObject({ reason: 'too_many_clients' });
      hold.resolve();
      await tx;
      expect(await adapter.count({ table: 'items' })).toBe(0);
    } finally {
      await adapter.close();
      await srv.drop();
    }
  });
});

describe('a source names its schema in its URL', () => {
  it('introspects and serves the schema of ?schema= and of options=-c search_path=', async () => {
    const srv = await server(0);
    const db = `postgres://postgres@127.0.0.1:5432/${srv.database}`;
    await pgQuery(db, `CREATE SCHEMA "o'dd-ü" AUTHORIZATION "${srv.role}"; CREATE SCHEMA plain AUTHORIZATION "${srv.role}";
      CREATE TABLE "o'dd-ü".only_here (id int PRIMARY KEY); CREATE TABLE plain.elsewhere (id int PRIMARY KEY); ALTER TABLE "o'dd-ü".only_here OWNER TO "${srv.role}"; ALTER TABLE plain.elsewhere OWNER TO "${srv.role}";`);
    const bySchema = createAdapter({ kind: 'postgres', url: `postgres://${srv.role}@127.0.0.1:5432/${srv.database}?schema=${encodeURIComponent("o'dd-ü")}` });
    const byOptions = createAdapter({ kind: 'postgres', url: `postgres://${srv.role}@127.0.0.1:5432/${srv.database}?options=${encodeURIComponent('-c search_path=plain,public')}` });
    try {
      await bySchema.connect();
      await byOptions.connect();
      expect((await bySchema.introspect(true)).tables.map((t) => t.name)).toEqual(['only_here']);
      expect((await byOptions.introspect(true)).tables.map((t) => t.name)).toEqual(['elsewhere']);
      await bySchema.insert('only_here', [{ id: 1 }]);
      expect(await bySchema.select({ table: 'only_here' })).toEqual([{ id: 1 }]);
      expect(await byOptions.count({ table: 'elsewhere' })).toBe(0);
    } finally {
      await bySchema.close();
      await byOptions.close();
      await srv.drop();
    }
  });
});
