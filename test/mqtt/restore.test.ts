import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import { controlStore } from '../../actors/kernel/store-slot.js';
import { RETAINED_TABLE } from '../../actors/mqtt/retained.js';
import { waitFor } from '../support/wait.js';
import { connect, createProject, endAll, inbox, publish, startMqttNode, subscribe, type MqttNode } from './support.js';

/**
 * Ingest rules and retained messages live in the control store, so a backup carries them; a
 * restore must also put them back in force on the running broker, not only in its tables.
 */
describe('MagMQTT after a restore', () => {
  let t: MqttNode;
  let key: string;
  const creds = () => ({ username: 'shop', password: key });
  const readings = () => new DataClient(t.node.system.ref(sourceAddress('shop', 'main')));
  const devices = async () => (await readings().select({ table: 'readings' })).map((r) => String(r.device)).sort();
  const copied = async (topic: string, payload: string) =>
    (await controlStore(t.node).select({ table: RETAINED_TABLE })).some((r) => r.topic === topic && Buffer.from(String(r.payload_base64), 'base64').toString() === payload);
  const job = async (path: string, body: unknown) => {
    const { id } = await t.admin<{ id: string }>('POST', path, body);
    const done = await waitFor(async () => {
      const j = await t.admin<{ state: string; result?: { id?: string } }>('GET', `/v1/admin/backups/jobs/${id}`);
      return j.state === 'running' ? undefined : j;
    }, path, 60_000);
    expect(done.state).toBe('done');
    return done.result!;
  };

  beforeAll(async () => {
    t = await startMqttNode();
    await createProject(t, 'shop');
    key = (await t.key('shop')).key;
    await t.admin('POST', '/v1/admin/projects/shop/sources', { name: 'main', kind: 'sqlite', url: join(t.dir, 'main ü.db') });
    await readings().createTable({
      name: 'readings',
      primaryKey: ['id'],
      columns: [
        { name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: true },
        { name: 'device', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
      ],
    });
  });
  afterEach(endAll);
  afterAll(async () => t?.node.stop());

  it('gives back the rules and retained messages of the backup, in force on the running broker', async () => {
    const before = await t.admin<{ id: string }>('POST', '/v1/admin/projects/shop/mqtt/rules', { topic: 'sensors/+/reading', into: 'main.readings', map: { device: '$topic[1]' } });
    const device = await connect(t.port, creds());
    await publish(device, 'shop/config/mode', 'eco "ü"', { qos: 1, retain: true });
    await waitFor(() => copied('shop/config/mode', 'eco "ü"'), 'the retained copy');
    const backup = await job('/v1/admin/backups', { reason: 'before the changes' });

    // After the backup: the rule replaced by another, the retained value changed, one more retained topic.
    await t.admin('DELETE', `/v1/admin/projects/shop/mqtt/rules/${before.id}`);
    await t.admin('POST', '/v1/admin/projects/shop/mqtt/rules', { topic: 'other/+/reading', into: 'main.readings', map: { device: '$topic[1]' } });
    await publish(device, 'shop/config/mode', 'turbo', { qos: 1, retain: true });
    await publish(device, 'shop/config/extra', 'new', { qos: 1, retain: true });
    await waitFor(async () => (await copied('shop/config/mode', 'turbo')) && (await copied('shop/config/extra', 'new')), 'the later retained copies');

    await job(`/v1/admin/backups/${backup.id}/restore`, { force: true });

    // The backup's rule writes rows again (a QoS 1 PUBACK comes after the commit); the later one does not.
    const sender = await connect(t.port, creds());
    await publish(sender, 'shop/sensors/s-1/reading', '{}', { qos: 1 });
    await publish(sender, 'shop/other/s-2/reading', '{}', { qos: 1 });
    expect(await devices()).toEqual(['s-1']);

    // A new subscriber gets the backup's retained messages, and nothing retained after it.
    const reader = await connect(t.port, creds());
    const box = inbox(reader);
    await subscribe(reader, 'shop/config/#', 1);
    await publish(sender, 'shop/config/zz-marker', 'end', { qos: 1 });
    await waitFor(() => box.got.some((m) => m.topic === 'shop/config/zz-marker'), 'the marker after the retained messages');
    expect(box.got.filter((m) => m.retain).map((m) => [m.topic, m.payload])).toEqual([['shop/config/mode', 'eco "ü"']]);
  });
});
