import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import { defaultManifestPath, SqlGuard } from '../../actors/sentinel/index.js';
import type { BusEvent } from '../../runtime/index.js';
import { closed, connackCode, connect, createProject, endAll, publish, startMqttNode, type MqttNode } from '../mqtt/support.js';
import { EVERYDAY, heldOutAttacks } from './helpers.js';

interface Threat {
  surface: string;
  decision: string;
  mode: string;
  value: string;
  path: string;
}

/**
 * MagMQTT with MagSentinel on: payloads published to an ingest rule's topic go through
 * SQLGuard before they are written (held-out attacks from the shared data); blocked MQTT
 * client ids are refused at CONNECT. MQTT.js against a real node.
 */
describe('MagSentinel over MQTT', () => {
  let t: MqttNode;
  let key: string;
  let attacks: string[];
  const table = `notes_${Math.random().toString(36).slice(2, 8)}`;
  const data = () => new DataClient(t.node.system.ref(sourceAddress('fleet', 'main')));
  const notes = async () => (await data().select({ table })).map((r) => String(r.note));
  const threat = (value: string) => t.node.system.events.once<Threat>('security.threat', (e: BusEvent<Threat>) => e.payload.surface === 'mqtt' && value.startsWith(e.payload.value));

  beforeAll(async () => {
    // Probes from one address would block it after five (that is brute-force.ts's business): raised here.
    t = await startMqttNode({ sentinel: { enabled: true, sqlguard: { probesPerIp: { failures: 1_000_000 } } } });
    await createProject(t, 'fleet');
    key = (await t.key('fleet')).key;
    await t.admin('POST', '/v1/admin/projects/fleet/sources', { name: 'main', kind: 'sqlite', url: join(t.dir, 'fleet.db') });
    await data().createTable({
      name: table,
      primaryKey: ['id'],
      columns: [
        { name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: true },
        { name: 'device', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
        { name: 'note', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
      ],
    });
    await data().schema(true);
    await t.admin('POST', '/v1/admin/projects/fleet/mqtt/rules', { topic: 'devices/+/notes', into: `main.${table}`, map: { device: '$topic[1]', note: '$.note' } });
    // Held-out attacks the pipeline blocks (the detection rate itself is the training report's business).
    const guard = await SqlGuard.load(defaultManifestPath());
    const candidates = heldOutAttacks(2).map((a) => a.value);
    const scored = await guard.score(candidates);
    attacks = scored.filter((s) => s.score >= guard.manifest.threshold).map((s) => s.value);
    await guard.close();
    expect(attacks.length).toBeGreaterThanOrEqual(5);
  });
  afterEach(endAll);
  afterAll(() => t?.node.stop());

  it('block mode: an attack published to an ingest topic is refused (the client is disconnected, nothing written, security.threat); everyday text is written', async () => {
    const good = await connect(t.port, { username: 'fleet', password: key, clientId: 'thermo-good' });
    for (const note of EVERYDAY) await publish(good, 'fleet/devices/thermo-good/notes', JSON.stringify({ note }), { qos: 1 });
    expect(await notes()).toEqual(EVERYDAY);

    for (const attack of attacks) {
      const device = await connect(t.port, { username: 'fleet', password: key, clientId: 'thermo-1' });
      const seen = threat(attack);
      device.publish('fleet/devices/thermo-1/notes', JSON.stringify({ note: attack }), { qos: 1 });
      await closed(device);
      expect((await seen).payload).toMatchObject({ surface: 'mqtt', decision: 'block', mode: 'block', path: 'fleet/devices/thermo-1/notes' });
    }
    expect(await notes()).toEqual(EVERYDAY);
    // A topic no ingest rule takes is not inspected: relayed as is.
    const other = await connect(t.port, { username: 'fleet', password: key, clientId: 'thermo-2' });
    await publish(other, 'fleet/chat', attacks[0]!, { qos: 1 });
    expect(other.connected).toBe(true);
  });

  it('monitor mode: the attack is written and logged as what would have been blocked', async () => {
    await t.admin('POST', '/v1/admin/sentinel/mode', { mode: 'monitor' });
    try {
      const device = await connect(t.port, { username: 'fleet', password: key, clientId: 'thermo-3' });
      const attack = attacks[1]!;
      const seen = threat(attack);
      await publish(device, 'fleet/devices/thermo-3/notes', JSON.stringify({ note: attack }), { qos: 1 });
      expect((await seen).payload).toMatchObject({ surface: 'mqtt', decision: 'block', mode: 'monitor' });
      expect(await notes()).toContain(attack);
      expect(device.connected).toBe(true);
    } finally {
      await t.admin('POST', '/v1/admin/sentinel/mode', { mode: 'block' });
    }
  });

  it('a blocked MQTT client id is refused at CONNECT (return code 5) and disconnected if connected; unblocking lets it in', async () => {
    const live = await connect(t.port, { username: 'fleet', password: key, clientId: "thermo-'ü-4" });
    await t.admin('POST', '/v1/admin/sentinel/blocks', { kind: 'mqtt', value: "thermo-'ü-4", reason: 'test' });
    await closed(live);
    const refusedAt = t.node.system.events.once<{ action?: string; value?: string }>('security.blocked', (e) => e.payload.action === 'refused');
    expect(await connackCode(t.port, { username: 'fleet', password: key, clientId: "thermo-'ü-4" })).toBe(5);
    expect((await refusedAt).payload).toMatchObject({ kind: 'mqtt', value: "thermo-'ü-4", surface: 'mqtt' });
    expect(await connackCode(t.port, { username: 'fleet', password: key, clientId: 'thermo-5' })).toBe(0);
    await t.admin('DELETE', `/v1/admin/sentinel/blocks/mqtt/${encodeURIComponent("thermo-'ü-4")}`);
    expect(await connackCode(t.port, { username: 'fleet', password: key, clientId: "thermo-'ü-4" })).toBe(0);
  });
});
