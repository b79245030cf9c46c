import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import type { Operation } from '../../actors/auth/principal.js';
import { connectClient, disconnect, projectApp, startRealtimeNode, subscribed, type PusherClient, type RealtimeCreds, type TestNode } from '../realtime/support.js';

type Who = 'anon' | 'user' | 'viewer' | 'developer';
type PolicyState = 'none' | 'open';

/** What each principal may do on `items`, per policy state: the contract of private by default. */
const EXPECTED: Record<PolicyState, Record<Who, Operation[]>> = {
  none: { anon: [], user: [], viewer: ['read'], developer: ['read', 'create', 'update', 'delete'] },
  open: { anon: ['read'], user: ['read', 'create', 'update', 'delete'], viewer: ['read'], developer: ['read', 'create', 'update', 'delete'] },
};
const POLICIES = [
  { role: 'anon', table: 'items', operations: ['read'] },
  { role: 'authenticated', table: 'items', operations: ['read', 'create', 'update', 'delete'], ownerColumn: 'owner_id' },
];
const OK: Record<Operation, number> = { read: 200, create: 201, update: 200, delete: 204 };

describe('role × operation × policy, over REST and realtime alike', () => {
  let t: TestNode;
  let app: RealtimeCreds;
  let creds: Record<Who, string>;
  let userId: string;
  let nextId = 100;
  const clients: PusherClient[] = [];
  const data = () => new DataClient(t.node.system.ref(sourceAddress('shop', 'main')));

  /** One REST call of `op` by `who`, on a row that principal would own; returns the status. */
  const rest = async (who: Who, op: Operation): Promise<number> => {
    const id = nextId++;
    const owner = who === 'user' ? userId : 'someone';
    if (op !== 'create') await data().insert('items', [{ id, owner_id: owner, v: 'seed' }], false);
    const url = `${t.url}/v1/shop/main/items`;
    const headers = { apikey: creds[who], authorization: `Bearer ${creds[who]}`, 'content-type': 'application/json' };
    const res =
      op === 'read' ? await fetch(url, { headers })
      : op === 'create' ? await fetch(url, { method: 'POST', headers, body: JSON.stringify({ id, owner_id: owner, v: 'new' }) })
      : op === 'update' ? await fetch(`${url}/${id}`, { method: 'PATCH', headers, body: JSON.stringify({ v: 'changed' }) })
      : await fetch(`${url}/${id}`, { method: 'DELETE', headers });
    await res.arrayBuffer();
    return res.status;
  };

  const canSubscribe = async (who: Who): Promise<boolean> => {
    const client = await connectClient(t, app, creds[who]);
    clients.push(client);
    try {
      await subscribed(client, 'private-db-main.items');
      return true;
    } catch {
      return false;
    } finally {
      await disconnect(client);
    }
  };

  const matrix = async () => {
    const got: Record<Who, { rest: Record<Operation, number>; realtime: boolean }> = {} as never;
    for (const who of ['anon', 'user', 'viewer', 'developer'] as const) {
      const statuses = {} as Record<Operation, number>;
      for (const op of ['read', 'create', 'update', 'delete'] as const) statuses[op] = await rest(who, op);
      got[who] = { rest: statuses, realtime: await canSubscribe(who) };
    }
    return got;
  };
  const expectedFor = (state: PolicyState) =>
    Object.fromEntries(
      Object.entries(EXPECTED[state]).map(([who, ops]) => [
        who,
        { rest: Object.fromEntries((['read', 'create', 'update', 'delete'] as const).map((op) => [op, ops.includes(op) ? OK[op] : 403])), realtime: ops.includes('read') },
      ]),
    );

  beforeAll(async () => {
    t = await startRealtimeNode();
    app = await projectApp(t, 'shop');
    await t.admin('POST', '/v1/admin/projects/shop/sources', { name: 'main', kind: 'sqlite', url: join(t.dir, 'shop.db') });
    await data().createTable({
      name: 'items',
      primaryKey: ['id'],
      columns: [
        { name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false },
        { name: 'owner_id', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
        { name: 'v', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
      ],
    });
    await t.admin('POST', '/v1/admin/projects/shop/signup', { signup: 'open' });
    const post = (path: string) =>
      fetch(`${t.url}/v1/auth/shop/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'member@example.com', password: 'member password' }) });
    expect((await post('signup')).status).toBe(201);
    const session = ((await (await post('login')).json()) as { data: { access_token: string; user: { id: string } } }).data;
    userId = session.user.id;
    const key = async (role: string) => (await t.admin<{ key: string }>('POST', '/v1/admin/projects/shop/keys', { role })).key;
    const shown = await t.admin<{ publicKey: string }>('GET', '/v1/admin/projects/shop/client-keys');
    creds = { anon: shown.publicKey, user: session.access_token, viewer: await key('viewer'), developer: await key('developer') };
  });
  afterAll(async () => {
    await Promise.all(clients.map(disconnect));
    await t?.node.stop();
  });

  it('without policies: end users reach nothing, staff roles keep their grants', async () => {
    expect(await matrix()).toEqual(expectedFor('none'));
  });

  it('with policies: each end-user role gets exactly what its policy lists, a user only on its own rows', async () => {
    for (const policy of POLICIES) await t.admin('POST', '/v1/admin/projects/shop/policies', policy);
    expect(await matrix()).toEqual(expectedFor('open'));
    const mine = (await (await fetch(`${t.url}/v1/shop/main/items`, { headers: { authorization: `Bearer ${creds.user}` } })).json()) as { data: Array<{ owner_id: string }> };
    expect(mine.data.length).toBeGreaterThan(0);
    expect(new Set(mine.data.map((r) => r.owner_id))).toEqual(new Set([userId]));
    // A user cannot write a row as someone else: the owner column is forced to the user.
    const forged = await fetch(`${t.url}/v1/shop/main/items`, {
      method: 'POST',
      headers: { authorization: `Bearer ${creds.user}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 9_999, owner_id: 'someone', v: 'forged' }),
    });
    expect(((await forged.json()) as { data: { owner_id: string } }).data.owner_id).toBe(userId);
  });
});
