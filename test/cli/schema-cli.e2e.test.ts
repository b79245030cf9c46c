import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootNode, mobo, tempDir, type BootedNode } from '../support/cli.js';

/**
 * The schema API and migrations as an operator types them: a spawned `mobo boot` on a fresh data
 * directory, every command through the built CLI, against the project's default SQLite source.
 */
// Each command is a process of its own (a second or more on a busy box): generous deadlines.
describe('mobo table:/column:/index:/migrate:/db:diff commands', { timeout: 180_000 }, () => {
  const cwd = tempDir('mobo-schema-cli-');
  let node: BootedNode;
  const run = (...args: string[]) => mobo(args, { cwd });
  const json = async <T = any>(...args: string[]): Promise<T> => {
    const result = await run(...args, '--json');
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    return JSON.parse(result.stdout) as T;
  };

  beforeAll(async () => {
    node = bootNode({ cwd });
    await node.ready;
    expect((await run('project:create', 'shop')).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    if (node.proc.exitCode === null) node.proc.kill('SIGTERM');
    await node.exited;
  }, 60_000);

  it('creates a table from --column flags, adds a column and an index, and describes it', async () => {
    const created = await run('table:create', 'shop', 'db', 'todos', '--column', 'id integer identity', '--column', 'title text not null', '--column', 'done boolean default false', '--column', '"due date" timestamp');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('created table todos');
    expect((await run('column:add', 'shop', 'db', 'todos', 'note text default n/a')).code).toBe(0);
    expect((await run('index:create', 'shop', 'db', 'todos', 'title', 'done', '--unique', '--name', 'todos_title_done')).code).toBe(0);
    const text = await run('table:describe', 'shop', 'db', 'todos');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/title\s+text\s+\S+\s+not null/);
    expect(text.stdout).toContain('index todos_title_done unique (title, done)');
    const described = await json('table:describe', 'shop', 'db', 'todos');
    expect(described).toMatchObject({ name: 'todos', primaryKey: ['id'], indexes: [{ name: 'todos_title_done', columns: ['title', 'done'], unique: true }] });
    expect(described.columns.map((c: { name: string; type: string }) => `${c.name}:${c.type}`)).toEqual(['id:integer', 'title:text', 'done:boolean', 'due date:timestamp', 'note:text']);
    const dry = await run('column:add', 'shop', 'db', 'todos', 'extra integer', '--dry-run');
    expect(dry).toMatchObject({ code: 0, stdout: expect.stringContaining('ALTER TABLE') });
    expect((await json('table:describe', 'shop', 'db', 'todos')).columns).toHaveLength(5);
  });

  it('refuses bad input with its code and a non-zero exit', async () => {
    const badType = await run('table:create', 'shop', 'db', 'other', '--column', 'price money');
    expect(badType.code).toBe(2);
    expect(badType.stderr).toContain('MESSAGE_INVALID');
    expect(badType.stderr).toContain('money');
    const clash = await run('table:create', 'shop', 'db', 'todos', '--column', 'id integer');
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('SCHEMA_EXISTS');
    expect(clash.stderr).toContain('todos');
    const column = await run('column:add', 'shop', 'db', 'todos', 'title text');
    expect(column.code).toBe(1);
    expect(column.stderr).toContain('SCHEMA_EXISTS');
    expect(column.stderr).toContain('title');
    const missing = await run('column:add', 'shop', 'db', 'ghost', 'x text');
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain('SCHEMA_NOT_FOUND');
  });

  it('writes, applies, reports, reverts and redoes a migration, and diffs the schema', async () => {
    const made = await json<{ id: string; file: string }>('migrate:new', 'shop', 'db', 'add_tags');
    expect(readFileSync(made.file, 'utf8')).toContain('-- migrate:up');
    writeFileSync(made.file, '-- migrate:up\nCREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT NOT NULL);\nCREATE INDEX tags_label ON tags (label);\n\n-- migrate:down\nDROP TABLE tags;\n');
    expect((await json('migrate:status', 'shop', 'db')).migrations).toEqual([expect.objectContaining({ id: made.id, status: 'pending' })]);
    const dry = await run('migrate:up', 'shop', 'db', '--dry-run');
    expect(dry.stdout).toContain('CREATE TABLE tags');
    expect((await json('migrate:status', 'shop', 'db')).migrations[0].status).toBe('pending');
    expect(await run('migrate:up', 'shop', 'db')).toMatchObject({ code: 0, stdout: `applied ${made.id}\n` });
    expect(await run('migrate:up', 'shop', 'db')).toMatchObject({ code: 0, stdout: 'nothing to do: up to date\n' });
    const status = await run('migrate:status', 'shop', 'db');
    expect(status.stdout).toMatch(new RegExp(`${made.id}\\s+applied\\s+\\d{4}-`));
    // todos was made by the schema API, not by a migration: the diff says so, and nothing else.
    const diff = await run('db:diff', 'shop', 'db');
    expect(diff).toMatchObject({ code: 0, stdout: '+ todos (in the database, made by no migration)\n' });
    expect(await run('migrate:down', 'shop', 'db')).toMatchObject({ code: 0, stdout: `reverted ${made.id}\n` });
    expect((await json<Array<{ name: string }>>('db:tables', 'shop', 'db')).map((t) => t.name)).not.toContain('tags');
    expect((await run('db:diff', 'shop', 'db')).stdout).toContain('- tags (made by the migrations, not in the database)');
    expect((await run('migrate:up', 'shop', 'db')).code).toBe(0);
    expect(await run('migrate:redo', 'shop', 'db')).toMatchObject({ code: 0, stdout: `reverted ${made.id}\napplied ${made.id}\n` });
    expect((await json<Array<{ name: string }>>('db:tables', 'shop', 'db')).map((t) => t.name)).toContain('tags');
    // A column added outside the migrations shows in the diff, named.
    expect((await run('column:add', 'shop', 'db', 'tags', 'color text')).code).toBe(0);
    const changed = await run('db:diff', 'shop', 'db');
    expect(changed.stdout).toContain('~ tags\n    column color: in the database, made by no migration');
    // An applied migration edited afterwards is refused, naming it.
    writeFileSync(made.file, readFileSync(made.file, 'utf8').replace('NOT NULL', ''));
    const refused = await run('migrate:down', 'shop', 'db');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('SCHEMA_MIGRATION_CHANGED');
    expect(refused.stderr).toContain(made.id);
  });

  it('creates tables with --fk foreign keys and a view, and drops them again', async () => {
    expect((await run('table:create', 'shop', 'db', 'lists', '--column', 'id integer identity', '--column', 'name text not null')).code).toBe(0);
    const made = await run('table:create', 'shop', 'db', 'list items', '--column', 'id integer identity', '--column', '"list id" integer not null', '--column', 'label text', '--fk', '"list id" references lists(id) on delete cascade');
    expect(made.code, made.stderr).toBe(0);
    const described = await json('table:describe', 'shop', 'db', 'list items');
    expect(described.foreignKeys).toEqual([expect.objectContaining({ columns: ['list id'], references: { table: 'lists', columns: ['id'] }, onDelete: 'cascade' })]);
    expect((await run('table:describe', 'shop', 'db', 'list items')).stdout).toContain('→ lists (id) on delete cascade');
    const badFk = await run('table:create', 'shop', 'db', 'other', '--column', 'x integer', '--fk', 'x points at lists');
    expect(badFk.code).toBe(2);
    expect(badFk.stderr).toContain('references');
    const view = await run('view:create', 'shop', 'db', 'list_names', '--select', 'SELECT id, name FROM lists');
    expect(view.code, view.stderr).toBe(0);
    expect((await run('view:create', 'shop', 'db', 'no_select')).code).toBe(2);
    // The view is in the project's database, over the table's rows (the /v1 API serves tables; views are PostgREST's, on Postgres).
    const key = (await run('key:create', 'shop', '--role', 'developer')).stdout.match(/ak_shop_\S+/)![0];
    const base = `http://127.0.0.1:${(JSON.parse(readFileSync(join(cwd, '.mobo', 'node.json'), 'utf8')) as { port: number }).port}`;
    const post = await fetch(`${base}/v1/shop/db/lists`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'groceries ü' }) });
    expect(post.status, await post.clone().text()).toBe(201);
    const file = readdirSync(join(cwd, '.mobo', 'projects')).find((f) => /^mobo_shop_.*\.db$/.test(f))!;
    const db = new Database(join(cwd, '.mobo', 'projects', file), { readonly: true });
    try {
      expect(db.prepare('SELECT id, name FROM list_names').all()).toEqual([{ id: 1, name: 'groceries ü' }]);
    } finally {
      db.close();
    }
    expect((await run('view:drop', 'shop', 'db', 'list_names')).code).toBe(0);
    expect((await run('table:drop', 'shop', 'db', 'list items')).code).toBe(0);
    expect((await run('table:drop', 'shop', 'db', 'lists')).code).toBe(0);
    expect((await json<Array<{ name: string }>>('db:tables', 'shop', 'db')).map((t) => t.name)).not.toContain('lists');
  });
});
