import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootNode, mobo, tempDir, type BootedNode } from '../support/cli.js';

/** Runs against the built CLI (`npm test` builds first), through a real `mobo boot`. */
describe('mobo key:*, user:*, role:*, token:issue end to end', () => {
  const cwd = tempDir('mobo-auth-cli-');
  let node: BootedNode;
  let url: string;
  const run = (...args: string[]) => mobo(args, { cwd });
  const whoami = (credential: string, project = 'shop') => fetch(`${url}/v1/auth/${project}/user`, { headers: { apikey: credential } });

  beforeAll(async () => {
    node = bootNode({ cwd });
    await node.ready;
    url = `http://127.0.0.1:${(JSON.parse(readFileSync(join(cwd, '.mobo', 'node.json'), 'utf8')) as { port: number }).port}`;
    expect((await run('project:create', 'shop')).code).toBe(0);
  });
  afterAll(async () => {
    if (node.proc.exitCode === null) node.proc.kill('SIGTERM');
    await node.exited;
  });

  it('key:create prints the key once; key:list never shows it; key:revoke stops it at once', async () => {
    const created = await run('key:create', 'shop', '--role', 'developer', '--tables', 'orders,items', '--ops', 'read,create', '--cidrs', '127.0.0.0/8,::1');
    expect(created.code).toBe(0);
    const lines = created.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^created API key key_\S+ \(role developer\) in shop$/);
    const key = lines[1]!;
    expect(key).toMatch(/^ak_shop_[A-Za-z0-9_-]{43}$/);
    expect(lines[2]).toContain('not shown again');
    const id = /key_\S+/.exec(lines[0]!)![0];

    const me = await whoami(key);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ data: { principal: { kind: 'api_key', subject: id, role: 'developer', scopes: { tables: ['orders', 'items'] } } } });

    const listed = await run('key:list', 'shop');
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).toContain('tables=orders,items ops=read,create');
    expect(listed.stdout).not.toContain(key);
    const json = JSON.parse((await run('key:list', 'shop', '--json')).stdout) as Array<Record<string, unknown>>;
    expect(json[0]).toMatchObject({ id, revoked_at: null });
    expect(json[0]).not.toHaveProperty('key');

    expect(await run('key:revoke', 'shop', id)).toMatchObject({ code: 0, stdout: `revoked API key ${id}\n` });
    const after = await whoami(key);
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ error: { code: 'AUTH_INVALID' } });

    const again = await run('key:revoke', 'shop', id, '--json');
    expect(again.code).toBe(5);
    expect(JSON.parse(again.stderr)).toMatchObject({ error: { code: 'AUTH_KEY_NOT_FOUND' } });
  });

  it('key:rotate prints a new secret and the old one stops working', async () => {
    const created = JSON.parse((await run('key:create', 'shop', '--json')).stdout) as { id: string; key: string; role: string };
    expect(created.role).toBe('viewer');
    const rotated = JSON.parse((await run('key:rotate', 'shop', created.id, '--json')).stdout) as { key: string };
    expect((await whoami(created.key)).status).toBe(401);
    expect((await whoami(rotated.key)).status).toBe(200);
  });

  it('role:create/list/delete, user:create/list/disable, token:issue, key:rotate-signing', { timeout: 60_000 }, async () => {
    expect((await run('role:create', 'shop', 'support', '--allow', 'tickets:read,create;orders:read')).code).toBe(0);
    expect((await run('role:list', 'shop')).stdout).toMatch(/support\s+custom\s+tickets:read,create; orders:read/);
    expect((await run('role:create', 'shop', 'broken')).code).toBe(2);

    const user = await run('user:create', 'shop', 'ops@example.com', '--role', 'support');
    expect(user.code).toBe(0);
    const password = user.stdout.trim().split('\n')[1]!;
    const login = await fetch(`${url}/v1/auth/shop/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ops@example.com', password }) });
    expect(login.status).toBe(200);
    expect((await run('user:list', 'shop')).stdout).toMatch(/ops@example\.com\s+support\s+active/);
    expect((await run('user:disable', 'shop', 'ops@example.com')).stdout).toBe('disabled user ops@example.com\n');
    expect((await run('user:disable', 'shop', 'nobody@example.com')).code).toBe(5);

    const token = (await run('token:issue', 'shop', '--role', 'support', '--sub', 'tester')).stdout.trim();
    const me = await fetch(`${url}/v1/auth/shop/user`, { headers: { authorization: `Bearer ${token}` } });
    expect(await me.json()).toMatchObject({ data: { principal: { kind: 'user', subject: 'tester', role: 'support' } } });
    expect((await run('token:issue', 'shop')).code).toBe(2);

    const rotation = JSON.parse((await run('key:rotate-signing', '--json')).stdout) as { kid: string };
    const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((k) => k.kid)).toContain(rotation.kid);
    expect((await fetch(`${url}/v1/auth/shop/user`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

    expect((await run('role:delete', 'shop', 'support')).code).toBe(0);
    expect((await run('role:delete', 'shop', 'support')).code).toBe(5);
    expect((await run('key:create', '--help')).stdout).toContain('mobo key:create <project>');
  });

  it('auth:signup, policy:set/list/remove, user:role and keys:show: a public client key reaches only what a policy opens', async () => {
    expect((await run('auth:signup', 'shop')).stdout).toBe('signup on shop: closed\n');
    expect((await run('auth:signup', 'shop', 'sometimes')).code).toBe(2);
    expect((await run('auth:signup', 'shop', 'open')).stdout).toBe('signup on shop: open\n');

    const shown = JSON.parse((await run('keys:show', 'shop', '--json')).stdout) as { publicKey: string; serviceKey: string; realtime: { key: string; secret: string } };
    expect(shown.publicKey).toMatch(/^ak_shop_/);
    expect(shown.realtime.key).toMatch(/^pk_/);
    // Shown again, the same keys: they are the project's, not made per call.
    expect((await run('keys:show', 'shop')).stdout).toContain(shown.publicKey);
    expect(await (await whoami(shown.publicKey)).json()).toMatchObject({ data: { principal: { kind: 'api_key', role: 'anon' } } });
    expect(await (await whoami(shown.serviceKey)).json()).toMatchObject({ data: { principal: { role: 'admin' } } });

    expect((await run('policy:list', 'shop')).stdout).toMatch(/no policies/);
    expect((await run('policy:set', 'shop', 'anon', 'posts')).code).toBe(2);
    expect((await run('policy:set', 'shop', 'anon', 'posts', '--ops', 'read')).stdout).toBe('role anon may read on posts (all rows)\n');
    expect((await run('policy:set', 'shop', 'authenticated', 'notes', '--ops', 'read,create', '--owner-column', 'owner_id')).code).toBe(0);
    expect((await run('policy:list', 'shop')).stdout).toMatch(/authenticated\s+notes\s+read,create\s+owner_id = subject/);
    expect((await run('policy:set', 'shop', 'ghost-role', 'posts', '--ops', 'read')).code).toBe(5);
    expect((await run('policy:remove', 'shop', 'anon', 'posts')).code).toBe(0);
    expect((await run('policy:remove', 'shop', 'anon', 'posts')).code).toBe(5);

    expect((await run('user:create', 'shop', 'member@example.com')).code).toBe(0);
    expect((await run('user:list', 'shop')).stdout).toMatch(/member@example\.com\s+authenticated\s+active/);
    expect((await run('user:role', 'shop', 'member@example.com', 'viewer')).stdout).toBe('member@example.com now has role viewer\n');
    expect((await run('role:list', 'shop')).stdout).toMatch(/viewer\s+built-in\s+\*:read\n[\s\S]*anon\s+built-in\s+none \(policies only\)/);
  }, 60_000);
  it('owner:create prints a password once that signs in to the admin API; owner:list, disable and remove manage the account', async () => {
    const created = await run('owner:create', 'Ops@Example.com');
    expect(created.code).toBe(0);
    const [summary, password, note] = created.stdout.trim().split('\n');
    expect(summary).toBe('created owner account ops@example.com; password:');
    expect(note).toContain('not shown again');
    const login = await fetch(`${url}/v1/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ops@example.com', password }) });
    const session = ((await login.json()) as { data: { token: string } }).data.token;
    expect((await fetch(`${url}/v1/admin/status`, { headers: { authorization: `Bearer ${session}` } })).status).toBe(200);

    expect((await run('owner:list')).stdout).toMatch(/ops@example\.com\s+active/);
    expect((await run('owner:list')).stdout).not.toContain(password!);
    expect(await run('owner:disable', 'ops@example.com')).toMatchObject({ code: 0, stdout: 'disabled owner account ops@example.com\n' });
    expect((await fetch(`${url}/v1/admin/status`, { headers: { authorization: `Bearer ${session}` } })).status).toBe(401);
    expect(await run('owner:remove', 'ops@example.com')).toMatchObject({ code: 0 });
    const again = await run('owner:remove', 'ops@example.com', '--json');
    expect(again.code).toBe(5);
    expect(JSON.parse(again.stderr)).toMatchObject({ error: { code: 'AUTH_USER_NOT_FOUND' } });
  }, 60_000);
});
