import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentSchemaEditor, declared, type DocumentStore } from '../../adapters/document-schema.js';
import { SchemaCache } from '../../adapters/schema-cache.js';
import type { DescribedTable, TableInfo } from '../../adapters/types.js';
import type { MoboNode } from '../../actors/node.js';
import { readAdminToken } from '../../gateway/admin-token.js';
import { readNodeFile } from '../../gateway/node-file.js';
import { tempDir } from '../support/cli.js';
import { startTestNode } from '../support/node.js';

/**
 * The editor's rules for a MongoDB source, on a store held in memory: no MongoDB server runs
 * here, so this checks what the editor plans, runs and refuses, not the driver calls (those are
 * adapters/mongodb.ts, run by the conformance suite when MONGODB_URL is set).
 */
describe('the schema API on a MongoDB source: what the editor plans, runs and refuses', () => {
  const tables = new Map<string, TableInfo>();
  const indexes = new Map<string, DescribedTable['indexes']>();
  const store: DocumentStore = {
    kind: 'mongodb',
    createTable: async (t) => void (tables.set(t.name, t), indexes.set(t.name, [])),
    dropTable: async (t) => void (tables.delete(t), indexes.delete(t)),
    declare: async (t) => void tables.set(t.name, t),
    indexes: async (t) => indexes.get(t) ?? [],
    createIndex: async (t, i) => void indexes.get(t)!.push(i),
    dropIndex: async (t, name) => void indexes.set(t, indexes.get(t)!.filter((i) => i.name !== name)),
  };
  const editor = new DocumentSchemaEditor(store, new SchemaCache(async () => ({ tables: [...tables.values()] })));
  const change = async (op: Parameters<DocumentSchemaEditor['plan']>[0]) => editor.apply({ statements: await editor.plan(op), op });

  it('creates a table with its row model, adds a column, creates and drops an index', async () => {
    const plan = await editor.plan({ op: 'createTable', table: { name: 'notes', columns: [{ name: 'id', type: 'integer', identity: true }, { name: 'body', type: 'text', nullable: false }] } });
    expect(plan).toEqual([expect.stringMatching(/^mongodb: create table notes /)]);
    expect(tables.size).toBe(0);
    await change({ op: 'createTable', table: { name: 'notes', columns: [{ name: 'id', type: 'integer', identity: true }, { name: 'body', type: 'text', nullable: false }] } });
    await change({ op: 'addColumn', table: 'notes', column: { name: 'tag', type: 'text' } });
    await change({ op: 'createIndex', table: 'notes', columns: ['tag', 'body'], unique: true });
    expect(await editor.describe('notes')).toEqual({
      name: 'notes',
      columns: [
        { name: 'id', type: 'integer', nativeType: 'integer', nullable: false, default: null, identity: true },
        { name: 'body', type: 'text', nativeType: 'text', nullable: false, default: null, identity: false },
        { name: 'tag', type: 'text', nativeType: 'text', nullable: true, default: null, identity: false },
      ],
      primaryKey: ['id'],
      foreignKeys: [],
      indexes: [{ name: 'notes_tag_body_key', columns: ['tag', 'body'], unique: true }],
      checks: [],
    });
    await change({ op: 'dropIndex', table: 'notes', index: 'notes_tag_body_key' });
    expect((await editor.describe('notes')).indexes).toEqual([]);
  });

  it('refuses clashes, unknown names and what the model cannot hold, naming them', async () => {
    await expect(editor.plan({ op: 'createTable', table: { name: 'notes', columns: [{ name: 'id', type: 'integer' }] } })).rejects.toMatchObject({ code: 'DS_CONFLICT', details: { table: 'notes' } });
    await expect(editor.plan({ op: 'addColumn', table: 'notes', column: { name: 'tag', type: 'text' } })).rejects.toMatchObject({ code: 'DS_CONFLICT', details: { column: 'tag' } });
    await expect(editor.plan({ op: 'createIndex', table: 'notes', columns: ['nope'] })).rejects.toMatchObject({ code: 'DS_COLUMN_NOT_FOUND', details: { column: 'nope' } });
    await expect(editor.plan({ op: 'dropIndex', table: 'notes', index: 'nope' })).rejects.toMatchObject({ code: 'DS_TABLE_NOT_FOUND', details: { index: 'nope' } });
    await expect(editor.plan({ op: 'addColumn', table: 'ghost', column: { name: 'x', type: 'text' } })).rejects.toMatchObject({ code: 'DS_TABLE_NOT_FOUND' });
    await expect(editor.plan({ op: 'addColumn', table: 'notes', column: { name: 'x', type: 'text', default: 'a' } })).rejects.toMatchObject({ code: 'DS_UNSUPPORTED', details: { field: 'default', column: 'x' } });
    await expect(editor.plan({ op: 'addColumn', table: 'notes', column: { name: 'x', type: 'text', nullable: false } })).rejects.toMatchObject({ code: 'DS_UNSUPPORTED', details: { field: 'nullable' } });
    for (const op of [
      { op: 'renameTable', table: 'notes', to: 'n' },
      { op: 'alterColumn', table: 'notes', column: 'tag', type: 'integer' },
      { op: 'dropColumn', table: 'notes', column: 'tag' },
      { op: 'createView', view: 'v', select: 'SELECT 1' },
    ] as const) {
      await expect(editor.plan(op)).rejects.toMatchObject({ code: 'DS_UNSUPPORTED', message: expect.stringContaining(`"${op.op}"`), details: { kind: 'mongodb', op: op.op } });
    }
    await expect(editor.migrate()).rejects.toMatchObject({ code: 'DS_UNSUPPORTED' });
  });

  it('declares a Redis row model only with a key', () => {
    expect(() => declared({ name: 't', columns: [{ name: 'a', type: 'text' }] }, 'redis')).toThrow(expect.objectContaining({ code: 'DS_QUERY_INVALID', details: { field: 'primaryKey' } }));
    expect(declared({ name: 't', columns: [{ name: 'a', type: 'text' }] }, 'mongodb')).toEqual({ name: 't', primaryKey: [], columns: [{ name: 'a', type: 'text', nativeType: 'text', nullable: true, hasDefault: false }] });
  });
});

/** The schema API over HTTP on a Redis source (the real server): the row model's operations, SCHEMA_UNSUPPORTED for the rest. */
describe('the schema API on a Redis source', () => {
  let node: MoboNode;
  let base: string;
  let token: string;
  const prefix = `mobo_docschema_${Math.random().toString(36).slice(2, 8)}`;
  const src = '/v1/admin/projects/shop/sources/kv';
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as { data?: any; error?: { code: string; message: string; details?: any } } };
  };

  beforeAll(async () => {
    const dir = tempDir('mobo-docschema-');
    node = await startTestNode({ MOBO_SCHEMA__CHECK_EVERY_MS: '0' }, dir);
    base = `http://127.0.0.1:${readNodeFile(dir)!.port}`;
    token = readAdminToken(dir)!;
    expect((await call('POST', '/v1/admin/projects', { name: 'shop' })).status).toBe(201);
    expect((await call('POST', '/v1/admin/projects/shop/sources', { name: 'kv', kind: 'redis', url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', namespace: prefix })).status).toBe(201);
  });
  afterAll(async () => {
    await call('DELETE', `${src}/tables/carts`).catch(() => undefined);
    await node?.stop();
  });

  it('creates a table, adds a column that rows written before read as null, and refuses what Redis has not', async () => {
    const created = await call('POST', `${src}/tables`, { name: 'carts', columns: [{ name: 'id', type: 'integer', identity: true }, { name: 'owner', type: 'text', nullable: false }] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.data.table).toMatchObject({ name: 'carts', primaryKey: ['id'] });
    await node.system.ref('ds.shop.kv').ask('ds.insert', { table: 'carts', rows: [{ owner: 'ana' }] });
    const dry = await call('POST', `${src}/tables/carts/columns?dryRun=true`, { name: 'total', type: 'float' });
    expect(dry.body.data).toEqual({ dryRun: true, sql: [expect.stringMatching(/^redis: declare column carts /)] });
    expect((await call('POST', `${src}/tables/carts/columns`, { name: 'total', type: 'float' })).status).toBe(201);
    await node.system.ref('ds.shop.kv').ask('ds.insert', { table: 'carts', rows: [{ owner: 'bo', total: 2.5 }] });
    const rows = await node.system.ref('ds.shop.kv').ask<Array<Record<string, unknown>>>('ds.select', { table: 'carts', order: [{ column: 'id', direction: 'asc' }] });
    expect(rows).toEqual([{ id: 1, owner: 'ana', total: null }, { id: 2, owner: 'bo', total: 2.5 }]);
    expect((await call('GET', `${src}/tables/carts`)).body.data.columns.map((c: { name: string }) => c.name)).toEqual(['id', 'owner', 'total']);
    const index = await call('POST', `${src}/tables/carts/indexes`, { columns: ['owner'] });
    expect(index).toMatchObject({ status: 400, body: { error: { code: 'SCHEMA_UNSUPPORTED', details: { kind: 'redis', op: 'createIndex' } } } });
    expect(index.body.error!.message).toContain('no secondary indexes');
    const rename = await call('PATCH', `${src}/tables/carts`, { name: 'baskets' });
    expect(rename).toMatchObject({ status: 400, body: { error: { code: 'SCHEMA_UNSUPPORTED', details: { op: 'renameTable' } } } });
    expect((await call('GET', `${src}/migrations`))).toMatchObject({ status: 400, body: { error: { code: 'SCHEMA_UNSUPPORTED', details: { kind: 'redis' } } } });
    expect((await call('DELETE', `${src}/tables/carts`)).status).toBe(200);
    expect((await call('GET', `${src}/tables/carts`)).status).toBe(404);
  });
});
