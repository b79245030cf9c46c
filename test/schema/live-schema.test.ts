import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cli.js';
import { connectClient, disconnect, issueToken, projectApp, startRealtimeNode, subscribed, type PusherClient, type RealtimeCreds, type TestNode } from '../realtime/support.js';
import { schemaSource } from '../support/schema.js';
import { pgQuery } from '../support/sql.js';
import { waitFor } from '../support/wait.js';

interface Change {
  op: string;
  row: Record<string, unknown> | null;
}

/**
 * A realtime node with project `shop` and its source `main` in a throwaway place on `kind`'s
 * server, for one describe block: filled in by its beforeAll, stopped and dropped after.
 */
function liveNode(kind: 'postgres' | 'mysql' | 'sqlite', env: Record<string, string>) {
  const live = { t: undefined as unknown as TestNode, app: undefined as unknown as RealtimeCreds, namespace: '', clients: [] as PusherClient[] };
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const source = await schemaSource(kind);
    drop = source.drop;
    live.namespace = source.config.namespace ?? '';
    live.t = await startRealtimeNode({}, env);
    live.app = await projectApp(live.t, 'shop');
    await live.t.admin('POST', '/v1/admin/projects/shop/sources', { name: 'main', ...source.config });
  });
  afterAll(async () => {
    await Promise.all(live.clients.map(disconnect));
    await live.t?.node.stop();
    await drop?.();
  });
  return live;
}

/**
 * A table made through the schema API, on a running node, is served at once by every path: a
 * policy written before the table existed governs it (policies name tables; nothing to reload),
 * REST and OpenAPI serve it, a real pusher-js client gets its changes, and a column added
 * afterwards is in the next event's payload; the same for a table a migration makes. Postgres
 * (triggers installed on the new table), MariaDB and SQLite (changes made through the adapter).
 */
describe.each(['postgres', 'mysql', 'sqlite'] as const)('a schema change reaches REST, OpenAPI, realtime and policies on %s', (kind) => {
  const src = '/v1/admin/projects/shop/sources/main';
  const migrations = tempDir('mobo-live-migrations-');
  const live = liveNode(kind, { MOBO_SCHEMA__CHECK_EVERY_MS: '0', MOBO_SCHEMA__MIGRATIONS_DIR: migrations });
  let t: TestNode;
  let app: RealtimeCreds;
  const clients = live.clients;
  beforeAll(() => void ({ t, app } = live));

  it('a policy set before the table exists applies to it once created, over REST, OpenAPI and pusher-js', async () => {
    // The periodic check is off: only the schema API's own announcement can make the table known.
    await t.admin('POST', '/v1/admin/projects/shop/policies', { role: 'authenticated', table: 'notes', operations: ['read', 'create'], ownerColumn: 'owner_id' });
    await t.admin('POST', `${src}/tables`, {
      name: 'notes',
      columns: [
        { name: 'id', type: 'integer', identity: true },
        { name: 'owner_id', type: 'text', nullable: false },
        { name: 'body', type: 'text', nullable: false },
      ],
    });
    const [ana, bo] = await Promise.all([issueToken(t, 'shop', 'ana', 'authenticated'), issueToken(t, 'shop', 'bo', 'authenticated')]);
    const rest = (token: string, path: string, init: RequestInit = {}) =>
      fetch(`${t.url}/v1/shop/main/${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', prefer: 'return=representation', ...(init.headers ?? {}) } });

    const client = await connectClient(t, app, ana);
    clients.push(client);
    const channel = await subscribed(client, 'private-db-main.notes');
    const events: Change[] = [];
    const waiters: Array<() => void> = [];
    channel.bind_global((e: string, d: Change) => {
      if (e.startsWith('pusher')) return;
      events.push(d);
      waiters.splice(0).forEach((w) => w());
    });
    const nthEvent = (n: number) =>
      new Promise<void>((resolve) => {
        const check = (): void => void (events.length >= n ? resolve() : waiters.push(check));
        check();
      });

    // The policy forces owner_id to the caller on create, and filters reads to the caller's rows.
    const created = await rest(ana, 'notes', { method: 'POST', body: JSON.stringify({ body: 'first', owner_id: 'someone else' }) });
    expect(created.status, await created.clone().text()).toBe(201);
    expect(((await created.json()) as { data: unknown }).data).toMatchObject({ owner_id: 'ana', body: 'first' });
    expect((await rest(bo, 'notes', { method: 'POST', body: JSON.stringify({ body: 'bo' }) })).status).toBe(201);
    const rows = async (token: string, query: string) => ((await (await rest(token, `notes?${query}`)).json()) as { data: unknown }).data;
    expect(await rows(ana, 'select=body')).toEqual([{ body: 'first' }]);
    await nthEvent(1);
    expect(events[0]).toMatchObject({ op: 'INSERT', row: { owner_id: 'ana', body: 'first' } });

    // OpenAPI, as the user sees it, knows the table.
    const spec = (await (await fetch(`${t.url}/v1/shop/openapi.json`, { headers: { authorization: `Bearer ${ana}` } })).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths).some((p) => p.includes('notes'))).toBe(true);

    // A column added while the client stays subscribed: the next event carries it, REST serves it.
    await t.admin('POST', `${src}/tables/notes/columns`, { name: 'tag', type: 'text', default: 'none' });
    expect((await rest(ana, 'notes', { method: 'POST', body: JSON.stringify({ body: 'second', tag: 'red' }) })).status).toBe(201);
    await nthEvent(2);
    expect(events[1]).toMatchObject({ op: 'INSERT', row: { owner_id: 'ana', body: 'second', tag: 'red' } });
    expect(await rows(ana, 'select=body,tag&order=id')).toEqual([{ body: 'first', tag: 'none' }, { body: 'second', tag: 'red' }]);
    // Bo's row never reached Ana's socket: only her two inserts did.
    expect(events.map((e) => e.row?.owner_id)).toEqual(['ana', 'ana']);
  });

  it('a table made by a migration is served and streamed at once, its policy written before it', async () => {
    await t.admin('POST', '/v1/admin/projects/shop/policies', { role: 'authenticated', table: 'tasks', operations: ['read', 'create'], ownerColumn: 'owner_id' });
    const folder = join(migrations, 'shop', 'main');
    mkdirSync(folder, { recursive: true });
    // A migration is the backend's own SQL: MariaDB quotes names with backticks.
    const q = (name: string) => (kind === 'mysql' ? `\`${name}\`` : `"${name}"`);
    writeFileSync(join(folder, '20260101000001_tasks.sql'), `-- migrate:up\nCREATE TABLE ${q('tasks')} (${q('id')} integer PRIMARY KEY, ${q('owner_id')} text NOT NULL, ${q('title')} text);\n-- migrate:down\nDROP TABLE ${q('tasks')};\n`);
    expect(await t.admin('POST', `${src}/migrations/up`, {})).toEqual({ applied: ['20260101000001_tasks'] });
    const ana = await issueToken(t, 'shop', 'ana', 'authenticated');
    const client = await connectClient(t, app, ana);
    clients.push(client);
    const channel = await subscribed(client, 'private-db-main.tasks');
    const event = new Promise<Change>((resolve) => channel.bind_global((e: string, d: Change) => void (e.startsWith('pusher') || resolve(d))));
    const res = await fetch(`${t.url}/v1/shop/main/tasks`, { method: 'POST', headers: { authorization: `Bearer ${ana}`, 'content-type': 'application/json' }, body: JSON.stringify({ id: 1, title: 'ship' }) });
    expect(res.status, await res.clone().text()).toBe(201);
    expect(await event).toMatchObject({ op: 'INSERT', row: { id: 1, owner_id: 'ana', title: 'ship' } });
  });
});

/**
 * A table made outside MagMoBoMini (psql), with nothing announced: whichever comes first, the
 * periodic schema check or the lookup of the first subscription to it (passes with the check
 * off too), finds it and installs its change capture, so a real pusher-js client gets the rows
 * psql inserts, under the policy written before the table existed.
 */
describe('a table made in psql reaches pusher-js (postgres)', () => {
  const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const live = liveNode('postgres', { MOBO_SCHEMA__CHECK_EVERY_MS: '200' });
  let t: TestNode;
  let app: RealtimeCreds;
  let namespace: string;
  const clients = live.clients;
  beforeAll(() => void ({ t, app, namespace } = live));

  it('REST serves at once a table made a moment ago through the API, one made in psql (/rest/v1), and a column added in psql (/v1)', async () => {
    const key = (await t.admin<{ key: string }>('POST', '/v1/admin/projects/shop/keys', { role: 'developer' })).key;
    const get = async (table: string) => {
      const res = await fetch(`${t.url}/rest/v1/shop/main/${encodeURIComponent(table)}?select=*`, { headers: { authorization: `Bearer ${key}` } });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    const make = (name: string) => t.admin('POST', '/v1/admin/projects/shop/sources/main/tables', { name, columns: [{ name: 'id', type: 'integer', primaryKey: true }] });
    await make('first-table');
    expect(await get('first-table')).toEqual({ status: 200, body: [] });
    // The catalogue PostgREST reads was loaded a moment ago, before this table existed.
    await make('second-table');
    expect(await get('second-table')).toEqual({ status: 200, body: [] });
    await pgQuery(PG_URL, `CREATE TABLE "${namespace}"."psql-table" (id bigint PRIMARY KEY)`);
    await pgQuery(PG_URL, `INSERT INTO "${namespace}"."psql-table" VALUES (7)`);
    expect(await get('psql-table')).toEqual({ status: 200, body: [{ id: 7 }] });
    expect((await get('no-such-table')).status).toBe(404);

    // A column added in psql is taken by the very next write and read through /v1.
    const rows = (init: RequestInit = {}, query = '') =>
      fetch(`${t.url}/v1/shop/main/psql-table${query}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } });
    expect((await rows({}, '?select=id')).status).toBe(200);
    await pgQuery(PG_URL, `ALTER TABLE "${namespace}"."psql-table" ADD COLUMN "note ü" text`);
    const written = await rows({ method: 'POST', body: JSON.stringify({ id: 8, 'note ü': 'via psql "column"' }) });
    expect(written.status, await written.clone().text()).toBe(201);
    expect(((await (await rows({}, `?select=id,${encodeURIComponent('note ü')}&id=eq.8`)).json()) as { data: unknown }).data).toEqual([{ id: 8, 'note ü': 'via psql "column"' }]);
  });

  it('streams the rows psql inserts to a subscribed client, filtered by its row rule', async () => {
    await t.admin('POST', '/v1/admin/projects/shop/policies', { role: 'authenticated', table: 'from-psql', operations: ['read'], ownerColumn: 'owner_id' });
    await pgQuery(PG_URL, `CREATE TABLE "${namespace}"."from-psql" (id bigserial PRIMARY KEY, owner_id text NOT NULL, v text)`);
    const client = await connectClient(t, app, await issueToken(t, 'shop', 'ana', 'authenticated'));
    clients.push(client);
    const channel = await subscribed(client, 'private-db-main.from-psql');
    const events: Change[] = [];
    channel.bind_global((e: string, d: Change) => void (e.startsWith('pusher') || events.push(d)));
    // Until the check has found the table and put its capture in place, inserts go unseen: keep inserting.
    await waitFor(async () => {
      await pgQuery(PG_URL, `INSERT INTO "${namespace}"."from-psql" (owner_id, v) VALUES ('bo', 'not for ana'), ('ana', 'for ana "ü"')`);
      return events.length > 0;
    }, 'a change of the psql table on the pusher-js client');
    expect(events[0]).toMatchObject({ op: 'INSERT', row: { owner_id: 'ana', v: 'for ana "ü"' } });
    expect(events.every((e) => e.row?.owner_id === 'ana')).toBe(true);
  });
});
