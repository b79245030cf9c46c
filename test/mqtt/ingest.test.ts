import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import { pgQuery } from '../support/sql.js';
import { waitFor } from '../support/wait.js';
import { connect, createProject, endAll, inbox, publish, startMqttNode, subscribe, type MqttNode } from './support.js';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const uid = Math.random().toString(36).slice(2, 8);

interface Letter {
  rule: string;
  topic: string;
  error: { code: string; message: string };
  payload?: string;
}

describe.each([
  { kind: 'postgres', table: `mqtt_telemetry_${uid}` },
  { kind: 'sqlite', table: `telemetry_${uid}` },
])('MagMQTT ingest rules into $kind', ({ kind, table }) => {
  let t: MqttNode;
  let key: string;
  let rule: { id: string };
  const data = () => new DataClient(t.node.system.ref(sourceAddress('fleet', 'main')));
  const creds = () => ({ username: 'fleet', password: key });

  beforeAll(async () => {
    t = await startMqttNode();
    await createProject(t, 'fleet');
    key = (await t.key('fleet')).key;
    if (kind === 'postgres') {
      await pgQuery(PG_URL, `CREATE TABLE "${table}" (id bigserial PRIMARY KEY, device text NOT NULL, temp double precision NOT NULL, at timestamptz NOT NULL DEFAULT now())`);
      await t.admin('POST', '/v1/admin/projects/fleet/sources', { name: 'main', kind: 'postgres', url: PG_URL });
    } else {
      await t.admin('POST', '/v1/admin/projects/fleet/sources', { name: 'main', kind: 'sqlite', url: join(t.dir, 'fleet.db') });
      await data().createTable({
        name: table,
        primaryKey: ['id'],
        columns: [
          { name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: true },
          { name: 'device', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
          { name: 'temp', type: 'float', nativeType: 'real', nullable: false, hasDefault: false },
        ],
      });
    }
    await data().schema(true);
    rule = await t.admin('POST', '/v1/admin/projects/fleet/mqtt/rules', { topic: 'devices/+/telemetry', into: `main.${table}`, map: { device: '$topic[1]', temp: '$.t' } });
  });
  afterEach(endAll);
  afterAll(async () => {
    await t?.node.stop();
    if (kind === 'postgres') await pgQuery(PG_URL, `DROP TABLE IF EXISTS "${table}"`);
  });

  it('a QoS 1 PUBACK means the row is committed: it is there the moment the publish resolves', async () => {
    const device = await connect(t.port, { ...creds(), clientId: 'thermo-1' });
    for (let i = 0; i < 20; i++) {
      await publish(device, 'fleet/devices/thermo-1/telemetry', JSON.stringify({ t: 20 + i / 10 }), { qos: 1 });
      const rows = await data().select({ table, where: { op: 'eq', column: 'device', value: 'thermo-1' } });
      expect(rows).toHaveLength(i + 1);
    }
    const rows = await data().select({ table, where: { op: 'eq', column: 'device', value: 'thermo-1' }, order: [{ column: 'id', direction: 'asc' }] });
    expect(rows.map((r) => Number(r.temp))).toEqual(Array.from({ length: 20 }, (_, i) => 20 + i / 10));
  });

  it('many devices at once: every acknowledged message is one row (inserts share commits)', async () => {
    const devices = await Promise.all(Array.from({ length: 10 }, (_, i) => connect(t.port, { ...creds(), clientId: `burst-${i}` })));
    await Promise.all(devices.flatMap((d, i) => Array.from({ length: 30 }, (_, n) => publish(d, `fleet/devices/burst-${i}/telemetry`, JSON.stringify({ t: n }), { qos: 1 }))));
    const count = await data().count(table, { op: 'like', column: 'device', value: 'burst-%' });
    expect(count).toBe(300);
    // /metrics counts every row an ingest rule wrote: these 300 and the first test's 20.
    const counted = async () => Number((await (await fetch(`${t.url}/metrics`)).text()).match(/mobo_mqtt_ingest_rows_total\{project="fleet"\} (\d+)/)?.[1] ?? 0);
    await waitFor(async () => (await counted()) >= 320, 'the ingest rows counted');
    expect(await counted()).toBe(await data().count(table));
  });

  it('a payload that does not fit goes to the dead-letter topic with its error and is counted, the good ones still land', async () => {
    const watcher = await connect(t.port, creds());
    await subscribe(watcher, 'fleet/dead-letter/#', 1);
    const letters = inbox(watcher);
    const device = await connect(t.port, { ...creds(), clientId: 'broken-1' });
    await publish(device, 'fleet/devices/broken-1/telemetry', 'not json at all', { qos: 1 });
    await publish(device, 'fleet/devices/broken-1/telemetry', JSON.stringify({ humidity: 40 }), { qos: 1 });
    await publish(device, 'fleet/devices/broken-1/telemetry', JSON.stringify({ t: 'hot "ünïcode"' }), { qos: 1 });
    await publish(device, 'fleet/devices/broken-1/telemetry', JSON.stringify({ t: 5 }), { qos: 1 });
    const got = (await letters.next(3)).map((m) => JSON.parse(m.payload) as Letter);
    expect(got.map((l) => l.rule)).toEqual([rule.id, rule.id, rule.id]);
    expect(got[0]).toMatchObject({ topic: 'fleet/devices/broken-1/telemetry', payload: 'not json at all', error: { code: 'MQTT_PAYLOAD_INVALID' } });
    expect(got[1]!.error.code).toMatch(/^DS_/);
    expect(got[2]!.error.code).toMatch(/^DS_/);
    expect(got[2]!.payload).toContain('ünïcode');
    expect(await data().count(table, { op: 'eq', column: 'device', value: 'broken-1' })).toBe(1);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    const dead = [...metrics.matchAll(/mobo_mqtt_dead_letters_total\{project="fleet",code="[A-Z_]+"\} (\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
    expect(dead).toBe(3);
  });

  it('rules are refused with a clear error when malformed', async () => {
    for (const bad of [{ topic: '#/x', into: `main.${table}` }, { topic: 'a/b', into: 'no-dot' }, { topic: 'db/x', into: `main.${table}` }, { topic: 'a', into: `main.${table}`, map: { c: '$nope' } }]) {
      const res = await fetch(`${t.url}/v1/admin/projects/fleet/mqtt/rules`, { method: 'POST', headers: { authorization: `Bearer ${(await import('../../gateway/admin-token.js')).readAdminToken(t.dir)}`, 'content-type': 'application/json' }, body: JSON.stringify(bad) });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('MESSAGE_INVALID');
    }
  });
});
