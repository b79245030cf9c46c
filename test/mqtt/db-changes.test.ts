import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import { issueToken } from '../realtime/support.js';
import { connect, createProject, endAll, inbox, publish, startMqttNode, subscribe, type MqttNode } from './support.js';

interface Change {
  op: string;
  table: string;
  row: { id: number; owner_id: string; item: string } | null;
  old: { id: number; owner_id: string } | null;
}

describe('MagMQTT: table changes reach subscribed devices, filtered by their row rule', () => {
  let t: MqttNode;
  const data = () => new DataClient(t.node.system.ref(sourceAddress('shop', 'main')));

  beforeAll(async () => {
    t = await startMqttNode();
    await createProject(t, 'shop');
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
    await data().createTable({ name: 'secrets', primaryKey: ['id'], columns: [{ name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false }] });
    await t.admin('POST', '/v1/admin/projects/shop/row-rules', { source: 'main', table: 'orders', column: 'owner_id' });
  });
  afterEach(endAll);
  afterAll(async () => t?.node.stop());

  it('each user sees the inserts, updates and deletes of its own rows; an admin key sees all', async () => {
    const jwt = { alice: await issueToken(t, 'shop', 'alice'), bob: await issueToken(t, 'shop', 'bob') };
    const adminKey = (await t.key('shop', 'admin')).key;
    const alice = await connect(t.port, { username: 'shop', password: jwt.alice });
    const bob = await connect(t.port, { username: 'shop', password: jwt.bob });
    const service = await connect(t.port, { username: 'shop', password: adminKey });
    expect(await subscribe(alice, 'shop/db/main/orders/+', 1)).toBe(1);
    expect(await subscribe(bob, 'shop/db/#', 1)).toBe(1);
    expect(await subscribe(service, 'shop/db/main/orders/#', 0)).toBe(0);
    for (const c of [alice, bob]) await subscribe(c, 'shop/marker', 0);
    const seen = { alice: inbox(alice), bob: inbox(bob), service: inbox(service) };

    await data().insert('orders', [{ id: 1, owner_id: 'alice', item: 'tea' }], false);
    await data().insert('orders', [{ id: 2, owner_id: 'bob', item: 'coffee' }], false);
    await data().update('orders', { op: 'eq', column: 'id', value: 1 }, { item: 'green tea' }, false);
    await data().delete('orders', { op: 'eq', column: 'id', value: 2 }, false);
    await data().insert('secrets', [{ id: 9 }], false);
    await data().insert('orders', [{ id: 3, owner_id: 'alice', item: 'cake' }], false);
    const all = await seen.service.next(5);
    expect(all.map((m) => m.topic)).toEqual(['insert', 'insert', 'update', 'delete', 'insert'].map((op) => `shop/db/main/orders/${op}`));
    // A marker sent after the changes arrives behind them on each connection.
    await publish(service, 'shop/marker', 'done', { qos: 0 });
    await Promise.all([seen.alice.next(4), seen.bob.next(4)]);
    const changes = (box: ReturnType<typeof inbox>) => box.got.filter((m) => m.topic !== 'shop/marker').map((m) => JSON.parse(m.payload) as Change);
    expect(changes(seen.alice).map((c) => [c.op, c.row?.item])).toEqual([['INSERT', 'tea'], ['UPDATE', 'green tea'], ['INSERT', 'cake']]);
    // bob's `db/#` reaches every table he may read: orders under the row rule, secrets (no rule) whole.
    expect(changes(seen.bob).map((c) => [c.table, c.op, c.row?.owner_id ?? c.old?.owner_id ?? null])).toEqual([['orders', 'INSERT', 'bob'], ['orders', 'DELETE', 'bob'], ['secrets', 'INSERT', null]]);
  });

  it('refuses the table topics to a credential that may not read the table', async () => {
    const scoped = (await t.key('shop', 'viewer', { tables: ['other'] })).key;
    const c = await connect(t.port, { username: 'shop', password: scoped });
    expect(await subscribe(c, 'shop/db/main/orders/+', 1)).toBe(128);
  });
});
