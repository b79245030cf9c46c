import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootNode, mobo, tempDir, type BootedNode } from '../support/cli.js';

/** MagDS from the command line, against a spawned `mobo boot`: what an operator types. */
describe('mobo project/source/db/bridge commands', () => {
  const cwd = tempDir('mobo-ds-cli-');
  let node: BootedNode;
  const run = (...args: string[]) => mobo(args, { cwd });

  beforeAll(async () => {
    node = bootNode({ cwd });
    await node.ready;
  });
  afterAll(async () => {
    if (node.proc.exitCode === null) node.proc.kill('SIGTERM');
    await node.exited;
  });

  it('creates a project, adds sources, lists them without secrets, and tests them', async () => {
    expect(await run('project:create', 'shop')).toMatchObject({ code: 0, stdout: 'created project shop with source db (sqlite)\n' });
    expect((await run('project:create', 'shop')).code).toBe(1);
    const added = await run('source:add', 'shop', 'lite', '--kind', 'sqlite', '--url', join(cwd, 'shop.db'));
    expect(added.code).toBe(0);
    const pg = await run('source:add', 'shop', 'pg', '--kind', 'postgres', '--url', 'postgres://postgres:not-shown@127.0.0.1:5432/test', '--json');
    expect(pg.code).toBe(0);
    expect(JSON.parse(pg.stdout)).toMatchObject({ name: 'pg', kind: 'postgres', location: 'postgres://postgres:***@127.0.0.1:5432/test' });
    const listed = await run('source:list', 'shop');
    expect(listed.stdout).toMatch(/lite\s+sqlite/);
    expect(listed.stdout).not.toContain('not-shown');
    expect(await run('source:test', 'shop', 'lite')).toMatchObject({ code: 0, stdout: expect.stringContaining('connected') });
    const projects = JSON.parse((await run('project:list', '--json')).stdout) as Array<{ project: string; sources: number }>;
    expect(projects).toEqual([expect.objectContaining({ project: 'shop', sources: 3 })]);
  });

  it('refuses bad input with usage and not-found exit codes', async () => {
    expect((await run('source:add', 'shop', 'x')).code).toBe(2);
    expect((await run('source:add', 'shop', 'down', '--kind', 'postgres', '--url', 'postgres://postgres@127.0.0.1:1/x')).stderr).toContain('DS_UNAVAILABLE');
    expect((await run('source:test', 'shop', 'ghost')).code).toBe(5);
    expect((await run('db:tables', 'nope', 'lite')).code).toBe(5);
  });

  it('lists tables and copies one between sources with bridge:copy', async () => {
    const sqlite = await import('better-sqlite3');
    const db = new sqlite.default(join(cwd, 'shop.db'));
    db.exec('create table if not exists orders (id integer primary key, item text not null, qty integer)');
    const insert = db.prepare('insert into orders (id, item, qty) values (?, ?, ?)');
    for (let i = 1; i <= 120; i++) insert.run(i, `item ${i}`, i % 7);
    db.close();
    const tables = await run('db:tables', 'shop', 'lite');
    expect(tables.stdout).toMatch(/orders\s+id\s+id:integer item:text qty:integer\?/);
    const table = `orders_copy_${Math.random().toString(36).slice(2, 8)}`;
    const copied = await run('bridge:copy', 'shop', 'lite', 'orders', 'pg', '--to-table', table, '--batch-size', '50', '--json');
    expect(copied.code).toBe(0);
    expect(JSON.parse(copied.stdout)).toMatchObject({ state: 'done', progress: { copied: 120 }, result: { rows: 120, batches: 3, createdTable: true } });
    const pgTables = JSON.parse((await run('db:tables', 'shop', 'pg', '--json')).stdout) as Array<{ name: string }>;
    expect(pgTables.map((t) => t.name)).toContain(table);
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
    await client.connect();
    try {
      expect((await client.query(`select count(*)::int as n, sum(qty)::int as q from ${table}`)).rows[0]).toEqual({ n: 120, q: Array.from({ length: 120 }, (_, i) => (i + 1) % 7).reduce((a, b) => a + b, 0) });
    } finally {
      await client.query(`drop table if exists ${table}`);
      await client.end();
    }
  });

  it('removes a source and stops serving it', async () => {
    expect((await run('source:remove', 'shop', 'lite')).code).toBe(0);
    expect((await run('source:test', 'shop', 'lite')).code).toBe(5);
  });
});
