import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import { connectClient, disconnect, issueToken, next, projectApp, serverLib, startRealtimeNode, subscribed, type RealtimeCreds, type PusherClient, type TestNode } from './support.js';

interface Change {
  op: string;
  row: { id: number; owner_id: string; item: string } | null;
}

describe('MagWS: database changes on table channels, filtered by row rules', () => {
  let t: TestNode;
  let app: RealtimeCreds;
  const clients: PusherClient[] = [];
  const data = () => new DataClient(t.node.system.ref(sourceAddress('shop', 'main')));
  const client = async (credential: string) => {
    const c = await connectClient(t, app, credential);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await startRealtimeNode();
    app = await projectApp(t, 'shop');
    await t.admin('POST', '/v1/admin/projects/shop/sources', { name: 'main', kind: 'sqlite', url: join(t.dir, 'shop.db') });
    await data().createTable({
      name: 'orders',
      primaryKey: ['id'],
      columns: [
        { name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false },
        { name: 'owner_id', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
        { name: 'item', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
      ],
    });
    await t.admin('POST', '/v1/admin/projects/shop/row-rules', { source: 'main', table: 'orders', column: 'owner_id' });
  });
  afterAll(async () => {
    await Promise.all(clients.map(disconnect));
    await t?.node.stop();
  });

  it('two users with the row rule see only their own rows; a service key sees all; INSERT, UPDATE and DELETE arrive', async () => {
    const alice = await client(await issueToken(t, 'shop', 'alice'));
    const bob = await client(await issueToken(t, 'shop', 'bob'));
    const service = await client((await t.admin<{ key: string }>('POST', '/v1/admin/projects/shop/keys', { role: 'admin' })).key);
    const [ca, cb, cs] = await Promise.all([alice, bob, service].map((c) => subscribed(c, 'private-db-main.orders')));
    const seen = { alice: [] as Change[], bob: [] as Change[] };
    ca!.bind_global((e: string, d: Change) => void (e.startsWith('pusher') || seen.alice.push(d)));
    cb!.bind_global((e: string, d: Change) => void (e.startsWith('pusher') || seen.bob.push(d)));

    // The service key sees every change; the last one it sees marks the end for everybody.
    const serviceSaw = (n: number) => {
      const got: Change[] = [];
      return new Promise<Change[]>((resolve) => cs!.bind_global((e: string, d: Change) => void (e.startsWith('pusher') || (got.push(d), got.length === n && resolve(got)))));
    };
    const all = serviceSaw(5);
    await data().insert('orders', [{ id: 1, owner_id: 'alice', item: 'tea' }], false);
    await data().insert('orders', [{ id: 2, owner_id: 'bob', item: 'coffee' }], false);
    await data().update('orders', { op: 'eq', column: 'id', value: 1 }, { item: 'green tea' }, false);
    await data().delete('orders', { op: 'eq', column: 'id', value: 2 }, false);
    await data().insert('orders', [{ id: 3, owner_id: 'alice', item: 'cake' }], false);
    expect((await all).map((c) => c.op)).toEqual(['INSERT', 'INSERT', 'UPDATE', 'DELETE', 'INSERT']);
    // Every change is out of the server now; a marker sent after them on another channel arrives
    // behind them on each socket, so once it is in, each user has all they will ever get.
    const markers = await Promise.all([alice, bob].map((c) => subscribed(c, 'marker')));
    const marked = Promise.all(markers.map((m) => next(m!, 'done')));
    await serverLib(t, app).trigger('marker', 'done', {});
    await marked;
    expect(seen.alice.map((c) => [c.op, c.row?.item])).toEqual([['INSERT', 'tea'], ['UPDATE', 'green tea'], ['INSERT', 'cake']]);
    expect(seen.bob.map((c) => c.op)).toEqual(['INSERT', 'DELETE']);
    expect(seen.bob[0]!.row).toMatchObject({ owner_id: 'bob' });
  });

  it('refuses the channel to a credential that may not read the table', async () => {
    const scoped = (await t.admin<{ key: string }>('POST', '/v1/admin/projects/shop/keys', { role: 'viewer', scopes: { tables: ['other'] } })).key;
    const c = await client(scoped);
    await expect(subscribed(c, 'private-db-main.orders')).rejects.toMatchObject({ detail: { status: 403 } });
  });
});
