import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import { derivedName } from '../../adapters/index.js';
import type { TableInfo } from '../../adapters/types.js';
import { tempDir } from '../support/cli.js';
import { startTestNode } from '../support/node.js';
import { mysqlQuery, pgQuery } from '../support/sql.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

const ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';
const notes: TableInfo = {
  name: 'notes',
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false },
    { name: 'body', type: 'text', nativeType: 'text', nullable: true, hasDefault: false },
  ],
};
const tag = Math.random().toString(36).slice(2, 8);

interface SourceInfo {
  kind: string;
  location: string;
}

/** Creates project `project` with its default source, writes and reads through it, then deletes it with --force. */
async function provisionUseDelete(node: MoboNode, project: string): Promise<SourceInfo> {
  const catalog = node.system.ref(node.address('catalog'));
  const created = await catalog.ask<{ source: SourceInfo }>('project.create', { project, source: 'db' }, { timeoutMs: 30_000 });
  const data = new DataClient(node.system.ref(sourceAddress(project, 'db')));
  await data.createTable(notes);
  await data.insert('notes', [{ id: 1, body: `it's ${project} — ü` }], false);
  expect(await data.select({ table: 'notes' })).toEqual([{ id: 1, body: `it's ${project} — ü` }]);
  // The role's password is never shown (the SQLite default has none).
  if (created.source.kind !== 'sqlite') expect(created.source.location).toMatch(/^[a-z]+:\/\/mobo_[a-z0-9_]+:\*\*\*@127\.0\.0\.1:/);
  await expect(catalog.ask('project.delete', { project })).rejects.toMatchObject({ code: 'DS_CONFLICT' });
  await catalog.ask('project.delete', { project, force: true }, { timeoutMs: 30_000 });
  return created.source;
}

const exists = async (sql: string, params: unknown[]) => (await pgQuery<{ n: number }>(ADMIN, sql, params))[0]!.n > 0;

describe('project:create provisions a default source, project:delete --force drops it', () => {
  const nodes: MoboNode[] = [];
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  });

  it('embedded: a SQLite file of its own in the data directory', async () => {
    const dir = tempDir('mobo-provision-');
    const node = await startTestNode({}, dir);
    nodes.push(node);
    const project = `lite-${tag}`;
    const file = `${dir}/projects/${derivedName(project)}.db`;
    const source = await provisionUseDelete(node, project);
    expect(source.kind).toBe('sqlite');
    expect(existsSync(file)).toBe(false);
  });

  it('Postgres, a database per project: its own database and login role, both dropped', async () => {
    const node = await startTestNode({ MOBO_DS__PROVISION__POSTGRES__URL: ADMIN });
    nodes.push(node);
    const project = `shop-${tag}_x`;
    const name = derivedName(project);
    const catalog = node.system.ref(node.address('catalog'));
    const check = catalog.ask('project.create', { project: `${project}-probe`, source: 'db' }, { timeoutMs: 30_000 });
    await check;
    const probe = derivedName(`${project}-probe`);
    expect(await exists('SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [probe])).toBe(true);
    expect(await exists('SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1 AND rolcanlogin AND NOT rolsuper', [probe])).toBe(true);
    // The password is the role's own (sealed in the catalog), not shown anywhere.
    const [sealed] = await pgQuery<{ n: number }>(ADMIN, 'SELECT count(*)::int AS n FROM pg_authid WHERE rolname = $1 AND rolpassword IS NOT NULL', [probe]);
    expect(sealed!.n).toBe(1);
    await catalog.ask('project.delete', { project: `${project}-probe`, force: true }, { timeoutMs: 30_000 });

    const source = await provisionUseDelete(node, project);
    expect(source.kind).toBe('postgres');
    expect(await exists('SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [name])).toBe(false);
    expect(await exists('SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1', [name])).toBe(false);
    expect(await exists('SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [probe])).toBe(false);
  });

  it('Postgres, a schema per project: a schema owned by its own role, introspected there, both dropped', async () => {
    const database = `mobo_prov_${tag}`;
    await pgQuery(ADMIN, `CREATE DATABASE "${database}"`);
    try {
      const node = await startTestNode({ MOBO_DS__PROVISION__POSTGRES__URL: `postgres://postgres@127.0.0.1:5432/${database}`, MOBO_DS__PROVISION__POSTGRES__PER: 'schema' });
      nodes.push(node);
      const project = `tenant-${tag}`;
      const name = derivedName(project);
      const catalog = node.system.ref(node.address('catalog'));
      await catalog.ask('project.create', { project, source: 'db' }, { timeoutMs: 30_000 });
      const data = new DataClient(node.system.ref(sourceAddress(project, 'db')));
      await data.createTable(notes);
      const db = `postgres://postgres@127.0.0.1:5432/${database}`;
      expect(await pgQuery(db, 'SELECT table_schema FROM information_schema.tables WHERE table_name = $1', ['notes'])).toEqual([{ table_schema: name }]);
      expect((await data.schema(true)).tables.map((t) => t.name)).toEqual(['notes']);
      await catalog.ask('project.delete', { project, force: true }, { timeoutMs: 30_000 });
      expect(await pgQuery(db, 'SELECT nspname FROM pg_namespace WHERE nspname = $1', [name])).toEqual([]);
      expect(await exists('SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1', [name])).toBe(false);
    } finally {
      await pgQuery(ADMIN, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    }
  });

  it('MariaDB: a database and user of its own, both dropped', async () => {
    const node = await startTestNode({ MOBO_DS__PROVISION__MYSQL__URL: 'mysql://root@127.0.0.1:3306/mysql' });
    nodes.push(node);
    const project = `maria-${tag}`;
    const name = derivedName(project);
    const source = await provisionUseDelete(node, project);
    expect(source.kind).toBe('mysql');
    expect(await mysqlQuery('mysql://root@127.0.0.1:3306/mysql', `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${name}'`)).toEqual([]);
    expect(await mysqlQuery('mysql://root@127.0.0.1:3306/mysql', `SELECT User FROM mysql.user WHERE User = '${name}'`)).toEqual([]);
  });
});
