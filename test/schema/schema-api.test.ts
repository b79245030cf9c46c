import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { readAdminToken } from '../../gateway/admin-token.js';
import { readNodeFile } from '../../gateway/node-file.js';
import { topics } from '../../runtime/topics.js';
import { tempDir } from '../support/cli.js';
import { startTestNode } from '../support/node.js';
import { schemaSource } from '../support/schema.js';
import { pgQuery } from '../support/sql.js';
import { waitFor } from '../support/wait.js';

/** The schema API over HTTP on a real node, per SQL backend: changes visible to REST and OpenAPI without a restart. */
describe.each(['postgres', 'sqlite', 'mysql'] as const)('schema API on %s', (kind) => {
  let node: MoboNode;
  let base: string;
  let token: string;
  let drop: () => Promise<void>;
  let pgNamespace: string | undefined;
  const src = '/v1/admin/projects/shop/sources/main';
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as { data?: any; error?: { code: string; message: string; details?: any } } };
  };

  beforeAll(async () => {
    const source = await schemaSource(kind);
    drop = source.drop;
    pgNamespace = kind === 'postgres' ? source.config.namespace : undefined;
    const dir = tempDir('mobo-schema-api-');
    node = await startTestNode({ MOBO_SCHEMA__CHECK_EVERY_MS: '100' }, dir);
    base = `http://127.0.0.1:${readNodeFile(dir)!.port}`;
    token = readAdminToken(dir)!;
    expect((await call('POST', '/v1/admin/projects', { name: 'shop' })).status).toBe(201);
    expect((await call('POST', '/v1/admin/projects/shop/sources', { name: 'main', ...source.config })).status).toBe(201);
  });
  afterAll(async () => {
    await node?.stop();
    await drop?.();
  });

  it('creates a table that REST and OpenAPI serve at once', async () => {
    const created = await call('POST', `${src}/tables`, {
      name: 'to-dos',
      columns: [
        { name: 'id', type: 'integer', identity: true },
        { name: 'title', type: 'text', nullable: false },
        { name: 'done', type: 'boolean', default: false },
      ],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.data.table).toMatchObject({ name: 'to-dos', primaryKey: ['id'] });
    const key = (await node.system.ref(node.address('auth')).ask<{ key: string }>('key.create', { project: 'shop', role: 'developer' }, { timeoutMs: 15_000 })).key;
    const insert = await fetch(`${base}/v1/shop/main/to-dos`, { method: 'POST', headers: { apikey: key, 'content-type': 'application/json', prefer: 'return=representation' }, body: JSON.stringify({ title: 'a' }) });
    expect(insert.status).toBe(201);
    // A column added: the REST schema and OpenAPI know it without a restart.
    expect((await call('POST', `${src}/tables/to-dos/columns`, { name: 'note', type: 'text', default: 'n/a' })).status).toBe(201);
    const rows = (await (await fetch(`${base}/v1/shop/main/to-dos?select=title,note`, { headers: { apikey: key } })).json()) as unknown;
    expect(JSON.stringify(rows)).toContain('n/a');
    const spec = (await (await fetch(`${base}/v1/shop/openapi.json`, { headers: { apikey: key } })).json()) as { components: { schemas: Record<string, { properties: Record<string, unknown> }> } };
    expect(Object.keys(Object.values(spec.components.schemas).find((s) => s.properties?.note)?.properties ?? {})).toEqual(expect.arrayContaining(['id', 'title', 'done', 'note']));
  });

  it('describe, rename a column and alter it, indexes, rename and drop the table', async () => {
    expect((await call('PATCH', `${src}/tables/to-dos/columns/note`, { name: 'memo', nullable: false })).status).toBe(200);
    expect((await call('POST', `${src}/tables/to-dos/indexes`, { columns: ['title', 'done'], unique: true })).status).toBe(201);
    const d = await call('GET', `${src}/tables/to-dos`);
    expect(d.body.data.columns.find((c: { name: string }) => c.name === 'memo')).toMatchObject({ nullable: false });
    expect(d.body.data.indexes).toEqual(expect.arrayContaining([expect.objectContaining({ columns: ['title', 'done'], unique: true })]));
    const dry = await call('DELETE', `${src}/tables/to-dos/columns/memo?dryRun=true`);
    expect(dry.body.data).toMatchObject({ dryRun: true, sql: [expect.stringContaining('memo')] });
    expect((await call('GET', `${src}/tables/to-dos`)).body.data.columns.map((c: { name: string }) => c.name)).toContain('memo');
    expect((await call('PATCH', `${src}/tables/to-dos`, { name: 'tasks' })).status).toBe(200);
    expect((await call('GET', `${src}/tables/to-dos`)).status).toBe(404);
    expect((await call('DELETE', `${src}/tables/tasks`)).status).toBe(200);
    expect((await call('GET', `${src}/tables`)).body.data.map((t: { name: string }) => t.name)).not.toContain('tasks');
  });

  it('bad input: a clear 4xx naming what is wrong', async () => {
    const badType = await call('POST', `${src}/tables`, { name: 'x', columns: [{ name: 'a', type: 'varchar' }] });
    expect(badType.status).toBe(400);
    expect(badType.body.error).toMatchObject({ code: 'MESSAGE_INVALID', details: { field: 'change.table.columns.0.type', value: 'varchar', allowed: expect.arrayContaining(['text', 'integer']) } });
    await call('POST', `${src}/tables`, { name: 'words', columns: [{ name: 'id', type: 'integer', identity: true }, { name: 'w', type: 'text' }] });
    const clash = await call('POST', `${src}/tables`, { name: 'words', columns: [{ name: 'a', type: 'text' }] });
    expect(clash).toMatchObject({ status: 409, body: { error: { code: 'SCHEMA_EXISTS', details: { table: 'words' } } } });
    const twice = await call('POST', `${src}/tables/words/columns`, { name: 'w', type: 'text' });
    expect(twice).toMatchObject({ status: 409, body: { error: { code: 'SCHEMA_EXISTS', details: { column: 'w' } } } });
    const missing = await call('DELETE', `${src}/tables/words/columns/nope`);
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'SCHEMA_NOT_FOUND', details: { column: 'nope' } } } });
    await node.system.ref('ds.shop.main').ask('ds.insert', { table: 'words', rows: [{ w: 'abc' }] });
    const cast = await call('PATCH', `${src}/tables/words/columns/w`, { type: 'integer' });
    expect(cast.status).toBe(422);
    expect(cast.body.error).toMatchObject({ code: 'SCHEMA_CAST_FAILED' });
    expect(cast.body.error!.message).toContain('w');
    expect(JSON.stringify(cast.body)).not.toMatch(/at .*\.js:\d+/);
    expect((await call('GET', `${src}/tables/words`)).body.data.columns.find((c: { name: string }) => c.name === 'w')).toMatchObject({ type: 'text' });
  });

  // Postgres only: the backend whose change feed sees writes made outside MagMoBoMini.
  if (kind === 'postgres') it('a table made in psql is picked up, with realtime events', async () => {
    await pgQuery(process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test', `CREATE TABLE "${pgNamespace}"."from-psql" (id bigint PRIMARY KEY, v text)`);
    await waitFor(async () => (await call('GET', `${src}/tables`)).body.data.some((t: { name: string }) => t.name === 'from-psql'), 'the psql table in the schema');
    const events: unknown[] = [];
    const off = node.system.events.on(topics.data.change('shop', 'main', 'from-psql'), ({ payload }) => void events.push(payload));
    try {
      // Its trigger is installed by the check that found it; a row inserted in psql reaches the bus.
      await waitFor(async () => {
        await pgQuery(process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test', `INSERT INTO "${pgNamespace}"."from-psql" (id, v) VALUES ((SELECT coalesce(max(id), 0) + 1 FROM "${pgNamespace}"."from-psql"), 'x')`);
        return events.length > 0;
      }, 'a change event from the psql table');
      expect(events[0]).toMatchObject({ table: 'from-psql', op: 'INSERT', row: { v: 'x' } });
    } finally {
      off();
    }
  });
});
