import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PostgrestClient } from '@supabase/postgrest-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { tempDir } from '../support/cli.js';
import { startTestNode } from '../support/node.js';
import { pgQuery } from '../support/sql.js';

const PG = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

// PostgREST parity on a real Postgres through the real @supabase/postgrest-js client (issue 13).
describe('MagGate /rest/v1 in PostgREST grammar', () => {
  const dir = tempDir('mobo-pgrst-');
  const schema = `pgrst_${Math.random().toString(36).slice(2, 8)}`;
  let node: MoboNode;
  let base: string;
  let owner: string;
  let ask: <T>(actor: string, type: string, payload: unknown) => Promise<T>;
  const client = (key: string) => new PostgrestClient(`${base}/rest/v1/blog/pg`, { headers: { Authorization: `Bearer ${key}` } });
  const statements: string[] = [];

  beforeAll(async () => {
    await pgQuery(PG, `CREATE SCHEMA "${schema}"`);
    await pgQuery(
      PG,
      `SET search_path = "${schema}";
       CREATE TABLE users (id int PRIMARY KEY, "näme-x" text NOT NULL, owner_id text);
       CREATE TABLE posts (id int PRIMARY KEY, title text, author_id int REFERENCES users(id), editor_id int REFERENCES users(id), owner_id text, tags text[], data jsonb);
       CREATE TABLE tags (id int PRIMARY KEY, label text);
       CREATE TABLE post_tags (post_id int REFERENCES posts(id), tag_id int REFERENCES tags(id), PRIMARY KEY (post_id, tag_id));
       INSERT INTO users VALUES (1, 'ann''s', 'alice'), (2, 'bob', 'bob');
       INSERT INTO posts VALUES (10, 'hello', 1, 2, 'alice', '{a,b}', '{"k":{"n":"x"}}'), (11, 'world', 2, 1, 'bob', '{c}', '{"k":{"n":"y"}}'), (12, 'orphan', NULL, NULL, 'alice', '{}', null);
       INSERT INTO tags VALUES (100, 'red'), (101, 'blue');
       INSERT INTO post_tags VALUES (10, 100), (10, 101), (11, 101);`,
    );
    const roomy = { MOBO_RATE_LIMITS__PER_IP__RPS: '10000', MOBO_RATE_LIMITS__PER_IP__BURST: '10000', MOBO_RATE_LIMITS__PER_KEY__RPS: '10000', MOBO_RATE_LIMITS__PER_KEY__BURST: '10000' };
    node = await startTestNode(roomy, dir);
    ask = <T>(actor: string, type: string, payload: unknown) => node.system.ref(node.address(actor)).ask<T>(type, payload, { timeoutMs: 15_000 });
    await ask('catalog', 'project.create', { project: 'blog' });
    await ask('catalog', 'source.add', { project: 'blog', name: 'pg', kind: 'postgres', url: PG, namespace: schema });
    await ask('catalog', 'source.add', { project: 'blog', name: 'lite', kind: 'sqlite', url: `${dir}/lite.db` });
    owner = (await ask<{ key: string }>('auth', 'key.create', { project: 'blog', role: 'owner' })).key;
    base = `http://127.0.0.1:${(JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as { port: number }).port}`;
    void statements;
  });
  afterAll(async () => {
    await node?.stop();
    await pgQuery(PG, `DROP SCHEMA "${schema}" CASCADE`);
  });

  it('embeds to-one, to-many and many-to-many resources with hints, aliases, filters, order and limit', async () => {
    const res = await client(owner)
      .from('posts')
      .select('id, author:users!author_id("näme-x"), editor:users!posts_editor_id_fkey(id), tags(label), title_text:title::text')
      .order('id')
      .order('label', { referencedTable: 'tags', ascending: false })
      .limit(1, { referencedTable: 'tags' });
    expect(res.error).toBeNull();
    expect(res.data).toEqual([
      { id: 10, author: { 'näme-x': "ann's" }, editor: { id: 2 }, tags: [{ label: 'red' }], title_text: 'hello' },
      { id: 11, author: { 'näme-x': 'bob' }, editor: { id: 1 }, tags: [{ label: 'blue' }], title_text: 'world' },
      { id: 12, author: null, editor: null, tags: [], title_text: 'orphan' },
    ]);
    const inner = await client(owner).from('users').select('id, posts!posts_author_id_fkey!inner(title)').eq('posts.title', 'world');
    expect(inner.data).toEqual([{ id: 2, posts: [{ title: 'world' }] }]);
    const spread = await client(owner).from('posts').select('id, ...users!author_id(name:"näme-x")').eq('id', 11);
    expect(spread.data).toEqual([{ id: 11, name: 'bob' }]);
  });

  it('says PGRST201 (300) for an ambiguous embed and PGRST200 for none, in PostgREST’s error body', async () => {
    const ambiguous = await client(owner).from('posts').select('users(*)');
    expect(ambiguous.status).toBe(300);
    expect(ambiguous.error).toMatchObject({ code: 'PGRST201' });
    expect(ambiguous.error?.hint).toContain('users!posts_author_id_fkey');
    const none = await client(owner).from('tags').select('users(*)');
    expect(none.status).toBe(400);
    expect(none.error).toMatchObject({ code: 'PGRST200', hint: null });
  });

  it('has every operator, JSON paths and aggregates; an unknown operator is a 400, never equality', async () => {
    const c = client(owner);
    expect((await c.from('posts').select('id').contains('tags', ['a'])).data).toEqual([{ id: 10 }]);
    expect((await c.from('posts').select('id').overlaps('tags', ['c', 'z'])).data).toEqual([{ id: 11 }]);
    expect((await c.from('posts').select('id').likeAnyOf('title', ['hel%', 'wor%']).order('id')).data).toEqual([{ id: 10 }, { id: 11 }]);
    expect((await c.from('posts').select('id').textSearch('title', 'world', { type: 'plain' })).data).toEqual([{ id: 11 }]);
    expect((await c.from('posts').select('id, n:data->k->>n').eq('data->k->>n', 'y')).data).toEqual([{ id: 11, n: 'y' }]);
    expect((await c.from('posts').select('id').or('id.eq.12,and(title.like.h*,id.lt.11)').order('id')).data).toEqual([{ id: 10 }, { id: 12 }]);
    expect((await c.from('posts').select('owner_id, count()').order('owner_id')).data).toEqual([
      { owner_id: 'alice', count: 2 },
      { owner_id: 'bob', count: 1 },
    ]);
    const unknown = await fetch(`${base}/rest/v1/blog/pg/posts?id=zz.10`, { headers: { authorization: `Bearer ${owner}` } });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ code: 'PGRST100' });
  });

  it('keeps Postgres codes in errors on /rest/v1 and the catalogue code on /v1', async () => {
    const dup = await client(owner).from('users').insert({ id: 1, 'näme-x': 'again' });
    expect(dup.status).toBe(409);
    expect(dup.error).toMatchObject({ code: '23505', details: 'Key (id)=(1) already exists.' });
  });

  it('upserts, counts writes, rolls back tx=rollback and refuses more than max-affected without changing anything', async () => {
    const c = client(owner);
    const up = await c.from('users').upsert({ id: 1, 'näme-x': 'ann', owner_id: 'alice' }).select('id, "näme-x"');
    // Every row updated, none inserted: 200, as PostgREST answers a merge.
    expect(up.status).toBe(200);
    expect(up.data).toEqual([{ id: 1, 'näme-x': 'ann' }]);
    const ignored = await c.from('users').upsert({ id: 1, 'näme-x': 'nope' }, { ignoreDuplicates: true }).select();
    expect(ignored.data).toEqual([]);
    const rolled = await fetch(`${base}/rest/v1/blog/pg/posts?id=eq.12`, { method: 'DELETE', headers: { authorization: `Bearer ${owner}`, prefer: 'tx=rollback,return=representation,count=exact' } });
    expect(rolled.status).toBe(200);
    expect(rolled.headers.get('content-range')).toBe('*/1');
    expect(await pgQuery(PG, `SELECT id FROM "${schema}".posts WHERE id = 12`)).toEqual([{ id: 12 }]);
    const strict = await fetch(`${base}/rest/v1/blog/pg/posts?id=gte.10`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json', prefer: 'max-affected=1,handling=strict' },
      body: JSON.stringify({ title: 'x' }),
    });
    expect(strict.status).toBe(400);
    expect(await strict.json()).toMatchObject({ code: 'PGRST124' });
    expect(await pgQuery(PG, `SELECT count(*)::int AS n FROM "${schema}".posts WHERE title = 'x'`)).toEqual([{ n: 0 }]);
    const one = await c.from('tags').insert({ id: 102, label: 'green' }).select().single();
    expect(one.status).toBe(201);
    expect(one.data).toEqual({ id: 102, label: 'green' });
  });

  it('applies the caller’s row rule to the top table and to every embedded one', async () => {
    await ask('auth', 'rule.set', { project: 'blog', rule: { source: 'pg', table: 'posts', column: 'owner_id' } });
    await ask('auth', 'rule.set', { project: 'blog', rule: { source: 'pg', table: 'users', column: 'owner_id' } });
    try {
      const { access_token: token } = await ask<{ access_token: string }>('auth', 'token.issue', { project: 'blog', role: 'developer', sub: 'alice' });
      const users = await client(token).from('users').select('id, posts!posts_author_id_fkey(id)').order('id');
      expect(users.error).toBeNull();
      expect(users.data).toEqual([{ id: 1, posts: [{ id: 10 }] }]);
      const posts = await client(token).from('posts').select('id, editor:users!editor_id(id)').order('id');
      // Post 10's editor is bob's row: the rule hides it inside the embed as well.
      expect(posts.data).toEqual([
        { id: 10, editor: null },
        { id: 12, editor: null },
      ]);
      // A merge may not land on a row the rule hides (bob's post 11): refused, nothing changed; her own row merges.
      const foreign = await client(token).from('posts').upsert({ id: 11, title: 'taken' }).select('id');
      expect(foreign.status).toBe(403);
      expect(foreign.error).toMatchObject({ code: '42501' });
      expect(await pgQuery(PG, `SELECT title, owner_id FROM "${schema}".posts WHERE id = 11`)).toEqual([{ title: 'world', owner_id: 'bob' }]);
      const own = await client(token).from('posts').upsert({ id: 12, title: 'orphan' }).select('id, title');
      expect(own.status).toBe(200);
      expect(own.data).toEqual([{ id: 12, title: 'orphan' }]);
    } finally {
      await ask('auth', 'rule.delete', { project: 'blog', source: 'pg', table: 'posts' });
      await ask('auth', 'rule.delete', { project: 'blog', source: 'pg', table: 'users' });
    }
  });

  it('answers HEAD with counts, text/csv, 404 for an embed from a table SQLite lacks, and names the backend when it is asked for rpc', async () => {
    const head = await client(owner).from('tags').select('*', { head: true, count: 'exact' });
    expect(head.count).toBeGreaterThanOrEqual(2);
    expect(head.data).toBeNull();
    const csv = await client(owner).from('tags').select('id,label').in('id', [100, 101]).order('id').csv();
    expect(csv.data).toBe('id,label\n100,red\n101,blue');
    const lite = await fetch(`${base}/rest/v1/blog/lite/anything?select=*,other(*)`, { headers: { authorization: `Bearer ${owner}` } });
    // SQLite embeds now (postgrest-dialects.test.ts): a table it does not have is 404 as on Postgres.
    expect(lite.status).toBe(404);
    expect(await lite.json()).toMatchObject({ code: '42P01' });
    const rpc = await fetch(`${base}/rest/v1/blog/lite/rpc/anything`, { method: 'POST', headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json' }, body: '{}' });
    expect(rpc.status).toBe(400);
    expect(await rpc.json()).toMatchObject({ code: 'DS_UNSUPPORTED', message: 'PostgREST function calls (rpc) are not supported on sqlite sources' });
  });
});
