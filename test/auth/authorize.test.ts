import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../actors/auth/scopes.js';
import { BUILT_IN_ROLES, type AccessRequest, type Operation, type Principal } from '../../actors/auth/principal.js';
import { bearer, startAuthNode, type AuthNode } from './helpers.js';

const req = (operation: Operation, table = 'orders', source = 'main'): AccessRequest => ({ project: 'shop', source, table, operation });

describe('MagAuth authorization: role × operation matrix, custom roles, row rules', () => {
  let t: AuthNode;
  const tokenFor = async (role: string, sub = 'usr_x', project = 'shop') =>
    t.gate.authenticate(bearer((await t.ask<{ access_token: string }>('token.issue', { project, role, sub })).access_token), project, '127.0.0.1');
  const keyFor = async (role: string) => t.gate.authenticate({ apikey: (await t.ask<{ key: string }>('key.create', { project: 'shop', role })).key }, 'shop', '127.0.0.1');
  const allowed = async (p: Principal, r: AccessRequest) =>
    t.gate.authorize(p, r).then(
      () => true,
      (err: { code?: string }) => {
        if (err.code !== 'AUTH_FORBIDDEN') throw err;
        return false;
      },
    );

  beforeAll(async () => {
    t = await startAuthNode(['shop', 'other']);
  });
  afterAll(async () => {
    await t?.node.stop();
  });

  it('follows the documented matrix for every built-in role, token and key alike', async () => {
    const expected: Record<string, Operation[]> = { viewer: ['read'], developer: [...OPERATIONS], admin: [...OPERATIONS], owner: [...OPERATIONS], authenticated: [], anon: [] };
    for (const role of BUILT_IN_ROLES) {
      for (const principal of [await tokenFor(role), await keyFor(role)]) {
        const got: Operation[] = [];
        for (const op of OPERATIONS) if (await allowed(principal, req(op))) got.push(op);
        expect({ role, kind: principal.kind, got }).toEqual({ role, kind: principal.kind, got: expected[role] });
      }
    }
  });

  it('grants a custom role exactly what it lists, per table pattern, and nothing once deleted', async () => {
    await t.ask('role.create', { project: 'shop', role: { name: 'support', grants: [{ tables: ['tickets'], operations: ['read', 'create', 'update'] }, { tables: ['orders', 'cust_*'], operations: ['read'] }] } });
    const p = await tokenFor('support');
    const matrix = async (table: string) => {
      const ops: Operation[] = [];
      for (const op of OPERATIONS) if (await allowed(p, req(op, table))) ops.push(op);
      return ops;
    };
    expect(await matrix('tickets')).toEqual(['read', 'create', 'update']);
    expect(await matrix('orders')).toEqual(['read']);
    expect(await matrix('cust_notes')).toEqual(['read']);
    expect(await matrix('payments')).toEqual([]);
    await expect(t.ask('role.create', { project: 'shop', role: { name: 'support', grants: [{ tables: ['x'], operations: ['read'] }] } })).rejects.toMatchObject({ code: 'AUTH_ROLE_EXISTS' });
    await expect(t.ask('role.create', { project: 'shop', role: { name: 'admin', grants: [{ tables: ['x'], operations: ['read'] }] } })).rejects.toMatchObject({ code: 'MESSAGE_INVALID' });
    // Custom roles belong to their project.
    await expect(t.ask('token.issue', { project: 'other', role: 'support' })).rejects.toMatchObject({ code: 'AUTH_ROLE_NOT_FOUND' });
    const listed = await t.ask<Array<{ name: string; builtIn: boolean }>>('role.list', { project: 'shop' });
    expect(listed.map((r) => r.name)).toEqual(['owner', 'admin', 'developer', 'viewer', 'authenticated', 'anon', 'support']);

    await t.ask('role.delete', { project: 'shop', name: 'support' });
    expect(await matrix('tickets')).toEqual([]);
    await expect(t.ask('role.delete', { project: 'shop', name: 'owner' })).rejects.toMatchObject({ code: 'AUTH_FORBIDDEN' });
  });

  it('applies a row rule: filter on read/update/delete, forced owner on create/update', async () => {
    await t.ask('rule.set', { project: 'shop', rule: { source: 'main', table: 'notes', column: 'owner_id' } });
    const alice = await tokenFor('developer', 'usr_alice');
    const filter = { op: 'eq', column: 'owner_id', value: 'usr_alice' };
    await expect(t.gate.authorize(alice, req('read', 'notes'))).resolves.toEqual({ rowFilter: filter });
    await expect(t.gate.authorize(alice, req('delete', 'notes'))).resolves.toEqual({ rowFilter: filter });
    await expect(t.gate.authorize(alice, req('update', 'notes'))).resolves.toEqual({ rowFilter: filter, forcedValues: { owner_id: 'usr_alice' } });
    await expect(t.gate.authorize(alice, req('create', 'notes'))).resolves.toEqual({ forcedValues: { owner_id: 'usr_alice' } });
    // Other tables, and the same table name in another source, are not ruled.
    await expect(t.gate.authorize(alice, req('read', 'orders'))).resolves.toEqual({});
    await expect(t.gate.authorize(alice, req('read', 'notes', 'archive'))).resolves.toEqual({});
    // Users are bound whatever their role.
    await expect(t.gate.authorize(await tokenFor('owner', 'usr_boss'), req('read', 'notes'))).resolves.toMatchObject({ rowFilter: { value: 'usr_boss' } });
  });

  it('lets admin/owner keys and service accounts past a row rule unless it says privilegedToo, and binds other keys to their key id', async () => {
    await t.ask('rule.set', { project: 'shop', rule: { source: 'main', table: 'docs', column: 'owner_id' } });
    const adminKey = await keyFor('admin');
    const devKey = await keyFor('developer');
    await t.ask('sa.create', { project: 'shop', name: 'sync', role: 'developer' });
    const sa = await t.gate.authenticate({ apikey: (await t.ask<{ key: string }>('key.create', { project: 'shop', serviceAccount: 'sync' })).key }, 'shop', '');
    await expect(t.gate.authorize(adminKey, req('read', 'docs'))).resolves.toEqual({});
    await expect(t.gate.authorize(sa, req('delete', 'docs'))).resolves.toEqual({});
    await expect(t.gate.authorize(devKey, req('read', 'docs'))).resolves.toEqual({ rowFilter: { op: 'eq', column: 'owner_id', value: devKey.subject } });

    await t.ask('rule.set', { project: 'shop', rule: { source: 'main', table: 'docs', column: 'owner_id', privilegedToo: true } });
    await expect(t.gate.authorize(adminKey, req('read', 'docs'))).resolves.toMatchObject({ rowFilter: { value: adminKey.subject } });
    await expect(t.gate.authorize(sa, req('create', 'docs'))).resolves.toEqual({ forcedValues: { owner_id: sa.subject } });

    await t.ask('rule.delete', { project: 'shop', source: 'main', table: 'docs' });
    await expect(t.gate.authorize(devKey, req('read', 'docs'))).resolves.toEqual({});
    await expect(t.ask('rule.delete', { project: 'shop', source: 'main', table: 'docs' })).rejects.toMatchObject({ code: 'AUTH_RULE_NOT_FOUND' });
    expect(await t.ask('rule.list', { project: 'other' })).toEqual([]);
  });

  it('keeps tables private to end-user roles until a policy opens them, with its row rule', async () => {
    const user = await tokenFor('authenticated', 'usr_pol');
    const anon = await keyFor('anon');
    for (const p of [user, anon]) for (const op of OPERATIONS) expect(await allowed(p, req(op, 'posts'))).toBe(false);

    await t.ask('policy.set', { project: 'shop', policy: { role: 'anon', table: 'posts', operations: ['read'] } });
    await t.ask('policy.set', { project: 'shop', policy: { role: 'authenticated', table: 'post*', operations: ['read', 'create', 'update'], ownerColumn: 'author' } });
    await expect(t.gate.authorize(anon, req('read', 'posts'))).resolves.toEqual({});
    expect(await allowed(anon, req('create', 'posts'))).toBe(false);
    const own = { op: 'eq', column: 'author', value: 'usr_pol' };
    await expect(t.gate.authorize(user, req('read', 'posts'))).resolves.toEqual({ rowFilter: own });
    await expect(t.gate.authorize(user, req('create', 'posts'))).resolves.toEqual({ forcedValues: { author: 'usr_pol' } });
    await expect(t.gate.authorize(user, req('update', 'post_drafts'))).resolves.toEqual({ rowFilter: own, forcedValues: { author: 'usr_pol' } });
    expect(await allowed(user, req('delete', 'posts'))).toBe(false);
    expect(await allowed(user, req('read', 'secrets'))).toBe(false);
    // A second policy on the same table for all rows widens reads to every row.
    await t.ask('policy.set', { project: 'shop', policy: { role: 'authenticated', table: 'posts', operations: ['read'] } });
    await expect(t.gate.authorize(user, req('read', 'posts'))).resolves.toEqual({});
    // Policies belong to their project and role; removing one closes the table again at once.
    expect(await t.ask('policy.list', { project: 'other' })).toEqual([]);
    await t.ask('policy.remove', { project: 'shop', role: 'anon', table: 'posts' });
    expect(await allowed(anon, req('read', 'posts'))).toBe(false);
    await expect(t.ask('policy.remove', { project: 'shop', role: 'anon', table: 'posts' })).rejects.toMatchObject({ code: 'AUTH_POLICY_NOT_FOUND' });
    await expect(t.ask('policy.set', { project: 'shop', policy: { role: 'nobody', table: 'posts', operations: ['read'] } })).rejects.toMatchObject({ code: 'AUTH_ROLE_NOT_FOUND' });
  });

  it('uses a user\'s current role, not the one its token was signed with', async () => {
    await t.ask('signup.set', { project: 'other', signup: 'open' });
    await t.ask('auth.signup', { project: 'other', email: 'promoted@example.com', password: 'long enough pass' });
    const session = await t.ask<{ access_token: string; user: { id: string; role: string } }>('auth.login', { project: 'other', email: 'promoted@example.com', password: 'long enough pass' });
    expect(session.user.role).toBe('authenticated');
    const before = await t.gate.authenticate(bearer(session.access_token), 'other', '127.0.0.1');
    expect(await allowed(before, { ...req('read'), project: 'other' })).toBe(false);
    await t.ask('user.role', { project: 'other', id: 'promoted@example.com', role: 'viewer' });
    const after = await t.gate.authenticate(bearer(session.access_token), 'other', '127.0.0.1');
    expect(after.role).toBe('viewer');
    expect(await allowed(after, { ...req('read'), project: 'other' })).toBe(true);
    await expect(t.ask('user.role', { project: 'other', id: 'promoted@example.com', role: 'ghost' })).rejects.toMatchObject({ code: 'AUTH_ROLE_NOT_FOUND' });
  });

  it('signup: closed by default, then invite-only or open', async () => {
    const signup = (email: string) => t.ask('auth.signup', { project: 'closedshop', email, password: 'long enough pass' });
    await t.node.system.ref(t.node.address('catalog')).ask('project.create', { project: 'closedshop' });
    await expect(signup('a@example.com')).rejects.toMatchObject({ code: 'AUTH_SIGNUP_CLOSED' });
    await t.ask('signup.set', { project: 'closedshop', signup: 'invite' });
    await expect(signup('a@example.com')).rejects.toMatchObject({ code: 'AUTH_SIGNUP_CLOSED' });
    await t.ask('user.invite', { project: 'closedshop', email: 'A@example.com', role: 'viewer' });
    await expect(signup('a@example.com')).resolves.toEqual({ email: 'a@example.com', signedUp: true, next: 'login' });
    const users = await t.ask<Array<{ email: string; role: string }>>('user.list', { project: 'closedshop' });
    expect(users.map((u) => [u.email, u.role])).toEqual([['a@example.com', 'viewer']]);
    await expect(t.ask('signup.set', { project: 'closedshop', signup: 'maybe' })).rejects.toMatchObject({ code: 'MESSAGE_INVALID' });
    await expect(t.ask('auth.signup', { project: 'ghost', email: 'x@example.com', password: 'long enough pass' })).rejects.toMatchObject({ code: 'DS_PROJECT_NOT_FOUND' });
  });
});
