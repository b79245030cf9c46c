import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PostgrestClient } from '@supabase/postgrest-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { tempDir } from '../support/cli.js';
import { startTestNode } from '../support/node.js';
import { mysqlQuery, sqliteExec } from '../support/sql.js';

const MYSQL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

const TABLES = [
  'CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(100) UNIQUE)',
  'CREATE TABLE posts (id INTEGER PRIMARY KEY, title VARCHAR(100), author_id INTEGER REFERENCES users(id))',
  "INSERT INTO users (id, name, email) VALUES (1, 'ann', 'ann@x'), (2, 'bob', 'bob@x')",
  "INSERT INTO posts (id, title, author_id) VALUES (10, 'hello', 1), (11, 'world', 2), (12, 'orphan', NULL)",
  // Read only: the embedding tests.
  'CREATE TABLE authors (id INTEGER PRIMARY KEY, name VARCHAR(100), active BOOLEAN, owner_id VARCHAR(20), meta JSON, born DATETIME(3))',
  'CREATE TABLE books (id INTEGER PRIMARY KEY, title VARCHAR(100), author_id INTEGER REFERENCES authors(id), editor_id INTEGER REFERENCES authors(id), owner_id VARCHAR(20))',
  `INSERT INTO authors (id, name, active, owner_id, meta, born) VALUES (1, 'ann', TRUE, 'alice', '{"a":1}', '2024-01-02 03:04:05.678'), (2, 'bob', FALSE, 'bob', '"123"', NULL)`,
  "INSERT INTO books (id, title, author_id, editor_id, owner_id) VALUES (10, 'hello', 1, 2, 'alice'), (11, 'world', 2, 1, 'bob'), (12, 'orphan', NULL, NULL, 'alice'), (13, 'again', 1, NULL, 'alice')",
  'CREATE TABLE tags (id INTEGER PRIMARY KEY, label VARCHAR(20))',
  'CREATE TABLE book_tags (book_id INTEGER REFERENCES books(id), tag_id INTEGER REFERENCES tags(id), PRIMARY KEY (book_id, tag_id))',
  "INSERT INTO tags (id, label) VALUES (100, 'red'), (101, 'blue'), (102, 'green')",
  'INSERT INTO book_tags (book_id, tag_id) VALUES (10, 100), (10, 101), (10, 102), (11, 101)',
];

/** MySQL writes a column's foreign key as a table constraint (an inline REFERENCES is ignored there). */
const forMysql = (sql: string) => sql.replace(/(\w+) INTEGER REFERENCES (\w+)\((\w+)\)/g, '$1 INTEGER, FOREIGN KEY ($1) REFERENCES $2($3)');

// PostgREST upsert on SQLite and MariaDB sources through the real @supabase/postgrest-js client (issue 13, item 4).
describe('MagGate /rest/v1 on SQLite and MariaDB sources', () => {
  const dir = tempDir('mobo-pgrst-dialects-');
  const database = `pgrst_${Math.random().toString(36).slice(2, 10)}`;
  let node: MoboNode;
  let base: string;
  let owner: string;
  let ask: <T>(actor: string, type: string, payload: unknown) => Promise<T>;
  const client = (source: string) => new PostgrestClient(`${base}/rest/v1/shop/${source}`, { headers: { Authorization: `Bearer ${owner}` } });

  beforeAll(async () => {
    await sqliteExec(`${dir}/lite.db`, TABLES.join(';\n'));
    await mysqlQuery(MYSQL, `CREATE DATABASE \`${database}\``);
    const url = new URL(MYSQL);
    url.pathname = `/${database}`;
    for (const sql of TABLES) await mysqlQuery(url.toString(), forMysql(sql));
    const roomy = { MOBO_RATE_LIMITS__PER_IP__RPS: '10000', MOBO_RATE_LIMITS__PER_IP__BURST: '10000', MOBO_RATE_LIMITS__PER_KEY__RPS: '10000', MOBO_RATE_LIMITS__PER_KEY__BURST: '10000' };
    node = await startTestNode(roomy, dir);
    ask = <T>(actor: string, type: string, payload: unknown) => node.system.ref(node.address(actor)).ask<T>(type, payload, { timeoutMs: 15_000 });
    await ask('catalog', 'project.create', { project: 'shop' });
    await ask('catalog', 'source.add', { project: 'shop', name: 'sqlite', kind: 'sqlite', url: `${dir}/lite.db` });
    await ask('catalog', 'source.add', { project: 'shop', name: 'mysql', kind: 'mysql', url: url.toString() });
    await ask('catalog', 'source.add', { project: 'shop', name: 'redis', kind: 'redis', url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', namespace: database });
    owner = (await ask<{ key: string }>('auth', 'key.create', { project: 'shop', role: 'owner' })).key;
    base = `http://127.0.0.1:${(JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as { port: number }).port}`;
  });
  afterAll(async () => {
    await node?.stop();
    await mysqlQuery(MYSQL, `DROP DATABASE IF EXISTS \`${database}\``);
  });

  describe.each(['sqlite', 'mysql'])('%s', (source) => {
    it('upserts: a new row is 201, a merge that only updates is 200, ignoreDuplicates keeps the stored row and gives back only what it inserted', async () => {
      const plain = await client(source).from('users').insert({ id: 3, name: 'cy', email: 'cy@x' }).select();
      expect(plain.status).toBe(201);
      expect(plain.data).toEqual([{ id: 3, name: 'cy', email: 'cy@x' }]);

      const updated = await client(source).from('users').upsert({ id: 3, name: 'cyd', email: 'cy@x' }).select();
      expect(updated.error).toBeNull();
      expect(updated.status).toBe(200);
      expect(updated.data).toEqual([{ id: 3, name: 'cyd', email: 'cy@x' }]);

      const mixed = await client(source).from('users').upsert([{ id: 3, name: 'cye', email: 'cy@x' }, { id: 4, name: 'di', email: 'di@x' }]).select('id, who:name').order('id');
      expect(mixed.status).toBe(201);
      expect(mixed.data).toEqual([{ id: 3, who: 'cye' }, { id: 4, who: 'di' }]);

      const ignored = await client(source).from('users').upsert([{ id: 4, name: 'changed', email: 'di@x' }, { id: 5, name: 'ed', email: 'ed@x' }], { ignoreDuplicates: true }).select();
      expect(ignored.status).toBe(201);
      expect(ignored.data).toEqual([{ id: 5, name: 'ed', email: 'ed@x' }]);

      const stored = await client(source).from('users').select('id, name').in('id', [3, 4, 5]).order('id');
      expect(stored.data).toEqual([{ id: 3, name: 'cye' }, { id: 4, name: 'di' }, { id: 5, name: 'ed' }]);
    });

    it('upserts on a unique key named by on_conflict, and answers 400 naming on_conflict when it is not one', async () => {
      const byEmail = await client(source).from('posts').upsert({ id: 12, title: 'adopted', author_id: 1 }, { onConflict: 'id' }).select('id, title, author_id');
      expect(byEmail.status).toBe(200);
      expect(byEmail.data).toEqual([{ id: 12, title: 'adopted', author_id: 1 }]);
      await client(source).from('users').insert({ id: 6, name: 'fay', email: 'fay@x' });
      const email = await client(source).from('users').upsert({ id: 6, name: 'faye', email: 'fay@x' }, { onConflict: 'email' }).select('id, name');
      expect(email.error).toBeNull();
      expect(email.status).toBe(200);
      expect(email.data).toEqual([{ id: 6, name: 'faye' }]);

      const twice = await client(source).from('users').upsert([{ id: 1, name: 'a' }, { id: 1, name: 'b' }]);
      expect(twice.status).toBe(400);
      expect(twice.error?.details).toContain('on_conflict');
      // columns= names what is written: the body's other keys are left out, as PostgREST does.
      const named = await fetch(`${base}/rest/v1/shop/${source}/posts?columns=id,title`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json', prefer: 'resolution=merge-duplicates,return=representation' },
        body: JSON.stringify([{ id: 11, title: 'world 2', author_id: 1, nonsense: true }]),
      });
      expect(named.status).toBe(200);
      expect(await named.json()).toEqual([{ id: 11, title: 'world 2', author_id: 2 }]);

      const notKey = await client(source).from('users').upsert({ id: 1, name: 'x' }, { onConflict: 'name' });
      expect(notKey.status).toBe(400);
      expect(notKey.error).toMatchObject({ code: 'DS_QUERY_INVALID', message: expect.stringContaining('on_conflict (name)') });
      expect(notKey.error?.details).toContain('on_conflict');
    });

    it('embeds to-one and to-many resources over the introspected foreign keys, with hints, aliases, order and nesting', async () => {
      const books = await client(source).from('books').select('id, title, author:authors!author_id(name, active), editor:authors!editor_id(id)').order('id');
      expect(books.error).toBeNull();
      expect(books.data).toEqual([
        { id: 10, title: 'hello', author: { name: 'ann', active: true }, editor: { id: 2 } },
        { id: 11, title: 'world', author: { name: 'bob', active: false }, editor: { id: 1 } },
        { id: 12, title: 'orphan', author: null, editor: null },
        { id: 13, title: 'again', author: { name: 'ann', active: true }, editor: null },
      ]);
      const authors = await client(source)
        .from('authors')
        .select('id, written:books!author_id(id, title, editor:authors!editor_id(name))')
        .order('id', { ascending: false })
        .order('id', { referencedTable: 'written', ascending: false });
      expect(authors.error).toBeNull();
      expect(authors.data).toEqual([
        { id: 2, written: [{ id: 11, title: 'world', editor: { name: 'ann' } }] },
        { id: 1, written: [{ id: 13, title: 'again', editor: null }, { id: 10, title: 'hello', editor: { name: 'bob' } }] },
      ]);
      const star = await client(source).from('books').select('*, authors!author_id(*)').eq('id', 11);
      expect(star.data).toEqual([{ id: 11, title: 'world', author_id: 2, editor_id: 1, owner_id: 'bob', authors: { id: 2, name: 'bob', active: false, owner_id: 'bob', meta: '123', born: null } }]);
    });

    it('spreads a to-one embed into its parent, nulls when it has no row', async () => {
      const spread = await client(source).from('books').select('id, ...authors!author_id(author_name:name, active)').order('id');
      expect(spread.error).toBeNull();
      expect(spread.data).toEqual([
        { id: 10, author_name: 'ann', active: true },
        { id: 11, author_name: 'bob', active: false },
        { id: 12, author_name: null, active: null },
        { id: 13, author_name: 'ann', active: true },
      ]);
      const nested = await client(source).from('authors').select('id, books!author_id(id, ...authors!editor_id(editor:name))').eq('id', 1).order('id', { referencedTable: 'books' });
      expect(nested.data).toEqual([{ id: 1, books: [{ id: 10, editor: 'bob' }, { id: 13, editor: null }] }]);
    });

    it('gives an embedded row the same values as reading its table: booleans, json, timestamps', async () => {
      const rows = await client(source).from('authors').select('id, active, meta, born').order('id');
      expect(rows.data).toEqual([
        { id: 1, active: true, meta: { a: 1 }, born: expect.any(String) },
        { id: 2, active: false, meta: '123', born: null },
      ]);
      const embedded = await client(source).from('books').select('id, author:authors!author_id(id, active, meta, born)').in('id', [10, 11]).order('id');
      expect(embedded.error).toBeNull();
      expect((embedded.data as Array<{ author: unknown }>).map((b) => b.author)).toEqual(rows.data);
    });

    it('embeds many-to-many through the join table, and pages embedded arrays with their own order, limit and offset', async () => {
      const all = await client(source).from('books').select('id, tags(label)').in('id', [10, 11, 12]).order('id').order('label', { referencedTable: 'tags' });
      expect(all.error).toBeNull();
      expect(all.data).toEqual([
        { id: 10, tags: [{ label: 'blue' }, { label: 'green' }, { label: 'red' }] },
        { id: 11, tags: [{ label: 'blue' }] },
        { id: 12, tags: [] },
      ]);
      const paged = await client(source).from('books').select('id, tags(label)').in('id', [10, 11]).order('id').order('label', { referencedTable: 'tags', ascending: false }).range(1, 2, { referencedTable: 'tags' });
      expect(paged.error).toBeNull();
      expect(paged.data).toEqual([
        { id: 10, tags: [{ label: 'green' }, { label: 'blue' }] },
        { id: 11, tags: [] },
      ]);
      const back = await client(source).from('tags').select('label, books(id)').eq('label', 'blue').order('id', { referencedTable: 'books' });
      expect(back.data).toEqual([{ label: 'blue', books: [{ id: 10 }, { id: 11 }] }]);
    });

    it('filters embedded resources, and !inner filters the parents by them', async () => {
      const filtered = await client(source).from('authors').select('id, books!author_id(title)').eq('books.title', 'world').order('id');
      expect(filtered.data).toEqual([{ id: 1, books: [] }, { id: 2, books: [{ title: 'world' }] }]);
      const inner = await client(source).from('authors').select('id, books!author_id!inner(title)').eq('books.title', 'world');
      expect(inner.error).toBeNull();
      expect(inner.data).toEqual([{ id: 2, books: [{ title: 'world' }] }]);
      const paged = await client(source).from('books').select('id, author:authors!author_id!inner(name)').eq('author.name', 'ann').order('id').range(1, 1);
      expect(paged.data).toEqual([{ id: 13, author: { name: 'ann' } }]);
    });

    it('counts a read with embeds exactly, on a page, past the last page and with HEAD', async () => {
      const page = await client(source).from('books').select('id, author:authors!author_id!inner(name)', { count: 'exact' }).order('id').range(0, 1);
      expect(page.error).toBeNull();
      expect(page.count).toBe(3);
      expect(page.data).toEqual([{ id: 10, author: { name: 'ann' } }, { id: 11, author: { name: 'bob' } }]);
      const past = await client(source).from('books').select('id, author:authors!author_id(name)', { count: 'exact' }).order('id').range(10, 11);
      expect(past.count).toBe(4);
      expect(past.data).toEqual([]);
      const head = await client(source).from('books').select('id, tags(label)', { count: 'exact', head: true });
      expect(head.count).toBe(4);
      expect(head.data).toBeNull();
    });

    it('says PGRST201 (300) for an ambiguous embed and PGRST200 for none', async () => {
      const ambiguous = await client(source).from('books').select('authors(*)');
      expect(ambiguous.status).toBe(300);
      expect(ambiguous.error).toMatchObject({ code: 'PGRST201' });
      const none = await client(source).from('users').select('authors(*)');
      expect(none.status).toBe(400);
      expect(none.error).toMatchObject({ code: 'PGRST200' });
    });

    it('applies the caller’s row rule to the top table and to every embedded one', async () => {
      await ask('auth', 'rule.set', { project: 'shop', rule: { source, table: 'books', column: 'owner_id' } });
      await ask('auth', 'rule.set', { project: 'shop', rule: { source, table: 'authors', column: 'owner_id' } });
      try {
        const { access_token: token } = await ask<{ access_token: string }>('auth', 'token.issue', { project: 'shop', role: 'developer', sub: 'alice' });
        const as = (key: string) => new PostgrestClient(`${base}/rest/v1/shop/${source}`, { headers: { Authorization: `Bearer ${key}` } });
        const authors = await as(token).from('authors').select('id, books!author_id(id)').order('id').order('id', { referencedTable: 'books' });
        expect(authors.error).toBeNull();
        expect(authors.data).toEqual([{ id: 1, books: [{ id: 10 }, { id: 13 }] }]);
        // Book 10's editor is bob's row: the rule hides it inside the embed as well, and !inner drops the book.
        const books = await as(token).from('books').select('id, editor:authors!editor_id(id)').order('id');
        expect(books.data).toEqual([{ id: 10, editor: null }, { id: 12, editor: null }, { id: 13, editor: null }]);
        const inner = await as(token).from('books').select('id, editor:authors!editor_id!inner(id)');
        expect(inner.data).toEqual([]);
        // A merge may not land on a row the rule hides (bob's book 11): 403, nothing changed; her own row merges.
        const foreign = await as(token).from('books').upsert({ id: 11, title: 'taken' }).select('id');
        expect(foreign.status).toBe(403);
        expect(foreign.error).toMatchObject({ code: 'AUTH_FORBIDDEN' });
        expect((await client(source).from('books').select('title, owner_id').eq('id', 11)).data).toEqual([{ title: 'world', owner_id: 'bob' }]);
        const own = await as(token).from('books').upsert({ id: 12, title: 'orphan' }).select('id, title, owner_id');
        expect(own.status).toBe(200);
        expect(own.data).toEqual([{ id: 12, title: 'orphan', owner_id: 'alice' }]);
      } finally {
        await ask('auth', 'rule.delete', { project: 'shop', source, table: 'books' });
        await ask('auth', 'rule.delete', { project: 'shop', source, table: 'authors' });
      }
    });

    it('answers 400 DS_UNSUPPORTED naming the feature and the backend for what it cannot embed', async () => {
      for (const select of ['id, ...book_tags(tag_id)', 'id, authors!author_id(count)', 'id, authors!author_id(name::text)']) {
        const res = await client(source).from('books').select(select);
        expect(res.status).toBe(400);
        expect(res.error).toMatchObject({ code: 'DS_UNSUPPORTED' });
        expect(res.error?.details).toContain(source);
      }
    });

    it('answers 409 as Postgres does when a row meets another unique key of a different row, and changes nothing', async () => {
      const res = await client(source).from('users').upsert({ id: 1, name: 'ann2', email: 'bob@x' }, { onConflict: 'id' });
      expect(res.status).toBe(409);
      expect(res.error).toMatchObject({ code: 'DS_CONFLICT' });
      const stored = await client(source).from('users').select('id, name, email').in('id', [1, 2]).order('id');
      expect(stored.data).toEqual([{ id: 1, name: 'ann', email: 'ann@x' }, { id: 2, name: 'bob', email: 'bob@x' }]);
    });
  });

  it('answers 400 DS_UNSUPPORTED naming the feature and the backend when a Redis source is asked to embed or upsert', async () => {
    const embed = await client('redis').from('users').select('*, posts(*)');
    expect(embed.status).toBe(400);
    expect(embed.error).toMatchObject({ code: 'DS_UNSUPPORTED', message: expect.stringContaining('redis') });
    const upsert = await client('redis').from('users').upsert({ id: 1, name: 'x' });
    expect(upsert.status).toBe(400);
    expect(upsert.error).toMatchObject({ code: 'DS_UNSUPPORTED', message: expect.stringContaining('upsert') });
    expect(upsert.error?.details).toContain('redis');
  });
});
