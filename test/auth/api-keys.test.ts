import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessRequest, Principal } from '../../actors/auth/principal.js';
import { createGatekeeper } from '../../actors/auth/gatekeeper.js';
import type { Board } from '../../actors/board.js';
import { bearer, startAuthNode, type AuthNode } from './helpers.js';

interface Created {
  id: string;
  key: string;
  prefix: string;
  role: string;
}

const req = (operation: AccessRequest['operation'], table = 'orders', project = 'shop'): AccessRequest => ({ project, source: 'main', table, operation });

describe('MagAuth API keys: shown once, hashed, scoped, rotated and revoked at once', () => {
  let t: AuthNode;
  const create = (payload: Record<string, unknown>, project = 'shop') => t.ask<Created>('key.create', { project, ...payload });
  const auth = (key: string, project = 'shop', ip = '127.0.0.1', header: 'authorization' | 'apikey' = 'apikey') =>
    t.gate.authenticate(header === 'apikey' ? { apikey: key } : bearer(key), project, ip);

  beforeAll(async () => {
    t = await startAuthNode(['shop', 'other', 'sho']);
  });
  afterAll(async () => {
    await t?.node.stop();
  });

  it('creates ak_<project>_<secret> keys, lists them without the secret, and authenticates with either header', async () => {
    const k = await create({ role: 'developer', name: 'backend' });
    expect(k.key).toMatch(/^ak_shop_[A-Za-z0-9_-]{43}$/);
    expect(k.prefix).toBe(`${k.key.slice(0, 12)}…`);
    const listed = await t.ask<Array<Record<string, unknown>>>('key.list', { project: 'shop' });
    expect(JSON.stringify(listed)).not.toContain(k.key);
    const principal = await auth(k.key);
    expect(principal).toMatchObject({ kind: 'api_key', subject: k.id, keyId: k.id, project: 'shop', role: 'developer' });
    expect(await auth(k.key, 'shop', '127.0.0.1', 'authorization')).toEqual(principal);
    await expect(auth(`${k.key.slice(0, -1)}${k.key.endsWith('A') ? 'B' : 'A'}`)).rejects.toMatchObject({ code: 'AUTH_INVALID' });
  });

  it('revoking and rotating take effect at once, also for a key already in the cache', async () => {
    const k = await create({ role: 'viewer' });
    await auth(k.key); // now cached
    const rotated = await t.ask<Created>('key.rotate', { project: 'shop', id: k.id });
    expect(rotated.id).toBe(k.id);
    expect(rotated.key).not.toBe(k.key);
    await expect(auth(k.key)).rejects.toMatchObject({ code: 'AUTH_INVALID' });
    await expect(auth(rotated.key)).resolves.toMatchObject({ subject: k.id });
    await t.ask('key.revoke', { project: 'shop', id: k.id });
    await expect(auth(rotated.key)).rejects.toMatchObject({ code: 'AUTH_INVALID' });
    await expect(t.ask('key.rotate', { project: 'shop', id: k.id })).rejects.toMatchObject({ code: 'AUTH_KEY_NOT_FOUND' });
    await expect(t.ask('key.revoke', { project: 'shop', id: 'key_nope' })).rejects.toMatchObject({ code: 'AUTH_KEY_NOT_FOUND' });
  });

  it('invalidates a second gatekeeper (another node) through the security.* event bus', async () => {
    // Another board on the same bus: only the event reaches it, as it would reach another node over NATS.
    const n = t.node;
    const elsewhere: Board = { nodeId: 'node2', system: n.system, log: n.log, configStore: n.configStore, tree: n.tree, cluster: n.cluster, address: (c) => n.address(c), requestShutdown: () => undefined };
    const remote = createGatekeeper(elsewhere);
    try {
      const k = await create({ role: 'viewer' });
      await remote.authenticate({ apikey: k.key }, 'shop', '10.0.0.1');
      const revoked = t.node.system.events.once('security.auth.keys');
      await t.ask('key.revoke', { project: 'shop', id: k.id });
      await revoked;
      await t.node.system.events.settled();
      await expect(remote.authenticate({ apikey: k.key }, 'shop', '10.0.0.1')).rejects.toMatchObject({ code: 'AUTH_INVALID' });
    } finally {
      remote.close();
    }
  });

  it('enforces scopes: tables (with patterns), operations, and IP ranges (IPv4, IPv6, IPv4-mapped)', async () => {
    const k = await create({ role: 'developer', scopes: { tables: ['orders', 'order_*', 'archive.*'], operations: ['read', 'create'], cidrs: ['10.0.0.0/8', '2001:db8::/32'] } });
    const p = await auth(k.key, 'shop', '10.1.2.3');
    await expect(t.gate.authorize(p, req('read'))).resolves.toEqual({});
    await expect(t.gate.authorize(p, req('create', 'order_items'))).resolves.toEqual({});
    await expect(t.gate.authorize(p, { ...req('read', 'anything'), source: 'archive' })).resolves.toEqual({});
    await expect(t.gate.authorize(p, req('read', 'customers'))).rejects.toMatchObject({ code: 'AUTH_FORBIDDEN' });
    await expect(t.gate.authorize(p, req('delete'))).rejects.toMatchObject({ code: 'AUTH_FORBIDDEN' });
    await expect(t.gate.authorize(p, req('update'))).rejects.toMatchObject({ code: 'AUTH_FORBIDDEN' });

    for (const ip of ['::ffff:10.9.9.9', '0000:0000:0000:0000:0000:ffff:0a00:0001', '2001:db8::1', '10.255.255.255']) await expect(auth(k.key, 'shop', ip)).resolves.toBeTruthy();
    for (const ip of ['11.0.0.1', '127.0.0.1', '::1', '0000:0000:0000:0000:0000:ffff:7f00:0001', '2001:db9::1', '', 'garbage']) {
      await expect(auth(k.key, 'shop', ip)).rejects.toMatchObject({ code: 'AUTH_FORBIDDEN' });
    }
    await expect(create({ scopes: { cidrs: ['10.0.0.0/33'] } })).rejects.toMatchObject({ code: 'MESSAGE_INVALID' });
    await expect(create({ scopes: { operations: ['drop'] } })).rejects.toMatchObject({ code: 'MESSAGE_INVALID' });
    await expect(create({ role: 'wizard' })).rejects.toMatchObject({ code: 'AUTH_ROLE_NOT_FOUND' });
  });

  it('never lets a key of one project reach another, even one whose name is a prefix of it', async () => {
    const shop = await create({ role: 'owner' });
    const sho = await create({ role: 'owner' }, 'sho');
    await expect(auth(shop.key, 'other')).rejects.toMatchObject({ code: 'AUTH_FORBIDDEN' });
    await expect(auth(shop.key, 'sho')).rejects.toMatchObject({ code: expect.stringMatching(/^AUTH_(FORBIDDEN|INVALID)$/) });
    await expect(auth(sho.key, 'shop')).rejects.toMatchObject({ code: 'AUTH_FORBIDDEN' });
    const principal = await auth(shop.key);
    await expect(t.gate.authorize(principal, req('read', 'orders', 'other'))).rejects.toMatchObject({ code: 'AUTH_FORBIDDEN' });
    // A forged principal claiming another project gets nothing either.
    const forged: Principal = { ...principal, project: 'other' };
    await expect(t.gate.authorize(forged, req('read'))).rejects.toMatchObject({ code: 'AUTH_FORBIDDEN' });
    await expect(t.ask('key.revoke', { project: 'other', id: shop.id })).rejects.toMatchObject({ code: 'AUTH_KEY_NOT_FOUND' });
    await expect(auth(shop.key)).resolves.toBeTruthy();
  });

  it('authenticates service accounts through keys bound to them, with the account role; disabling the account stops its keys', async () => {
    const account = await t.ask<{ id: string }>('sa.create', { project: 'shop', name: 'worker', role: 'developer' });
    const k = await create({ serviceAccount: 'worker', role: 'viewer' });
    expect(k.role).toBe('developer');
    await expect(auth(k.key)).resolves.toMatchObject({ kind: 'service_account', subject: account.id, keyId: k.id, role: 'developer' });
    await t.ask('sa.disable', { project: 'shop', id: 'worker' });
    await expect(auth(k.key)).rejects.toMatchObject({ code: 'AUTH_INVALID' });
    await expect(create({ serviceAccount: 'worker' }, 'other')).rejects.toMatchObject({ code: 'AUTH_SERVICE_ACCOUNT_NOT_FOUND' });
    await expect(t.ask('sa.create', { project: 'shop', name: 'worker', role: 'viewer' })).rejects.toMatchObject({ code: 'AUTH_SERVICE_ACCOUNT_EXISTS' });
  });
});
