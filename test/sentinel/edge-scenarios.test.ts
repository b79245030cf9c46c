import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import { connackCode, connect, createProject, startMqttNode, type MqttNode } from '../mqtt/support.js';
import { waitFor } from '../support/wait.js';
import { heldOutAttacks, sentinelNode, type SentinelNode } from './helpers.js';

interface Status {
  blocks: Array<{ kind: string; value: string; source: string; reason: string }>;
  mode: string;
}
const statusOf = async (s: SentinelNode): Promise<Status> => ((await (await s.admin('/v1/admin/sentinel')).json()) as { data: Status }).data;

describe('MagSentinel on realtime channel auth', () => {
  let s: SentinelNode;
  beforeAll(async () => {
    s = await sentinelNode({ enabled: true, sqlguard: { probesPerIp: { failures: 1_000_000 } } });
  });
  afterAll(() => s.node.stop());

  const auth = (channel: string, mode: 'block' | 'monitor' = 'block') =>
    fetch(`${s.base}/v1/realtime/shop/auth`, {
      method: 'POST',
      // What pusher-js sends: a form body and the credential in a header.
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${s.key}`, 'x-mode': mode },
      body: new URLSearchParams({ socket_id: '123.456', channel_name: channel }).toString(),
    });

  it('refuses replayed attacks in the form fields, passes a real channel name', async () => {
    expect((await auth('private-orders')).status).toBe(200);
    for (const a of heldOutAttacks(4).filter((a) => /union\s+select|' or |sleep\(/i.test(a.value))) {
      const res = await auth(`private-${a.value}`);
      expect(res.status, a.value).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('SENTINEL_BLOCKED');
    }
  });

  it('passes and only records them in monitor mode (switched at run time, for every node)', async () => {
    expect((await s.admin('/v1/admin/sentinel/mode', { method: 'POST', body: JSON.stringify({ mode: 'monitor' }) })).status).toBe(200);
    const res = await auth("private-x' union select password from users--");
    expect(res.status).not.toBe(403);
    expect((await statusOf(s)).mode).toBe('monitor');
    await s.admin('/v1/admin/sentinel/mode', { method: 'POST', body: JSON.stringify({ mode: 'block' }) });
  });
});

describe('MagSentinel anomaly detection on REST', () => {
  let s: SentinelNode;
  beforeAll(async () => {
    // Intervals of 1 ms: each request closes the interval before it, so the scenario needs no waiting.
    s = await sentinelNode({ enabled: true, anomaly: { intervalMs: 1, warmupIntervals: 3, alpha: 0.5, blockMultiple: 20, alertMultiple: 5, floors: { requests: 1, errors: 1, rows: 1, tables: 1, notFound: 1 } } });
    const data = new DataClient(s.node.system.ref(sourceAddress('shop', 'main')));
    await data.insert(s.table, Array.from({ length: 980 }, (_, i) => ({ id: 100 + i, name: `bulk ${i}`, note: null })), false);
  });
  afterAll(() => s.node.stop());

  it('blocks a key that normally reads one row when it suddenly reads a thousand, then unblock lifts it', async () => {
    for (let i = 1; i <= 6; i++) expect((await s.call(`/v1/shop/main/${s.table}/${i}`)).status).toBe(200);
    const dump = await s.call(`/v1/shop/main/${s.table}?limit=1000`);
    expect(dump.status).toBe(200);
    const blocks = await waitFor(async () => {
      const b = (await statusOf(s)).blocks.filter((x) => x.source === 'anomaly');
      return b.length >= 2 ? b : undefined;
    }, 'anomaly blocks');
    expect(blocks.map((b) => b.kind).sort()).toEqual(['ip', 'key']);
    expect(blocks[0]!.reason).toMatch(/^rows 1000 in one interval/);
    expect((await s.call(`/v1/shop/main/${s.table}/1`)).status).toBe(403);
    const alerts = (await (await s.admin('/v1/admin/sentinel/events?type=alert')).json()) as { data: Array<{ payload: { metric: string; level: string } }> };
    expect(alerts.data.some((e) => e.payload.metric === 'rows' && e.payload.level === 'block')).toBe(true);
    for (const b of blocks) expect((await s.admin(`/v1/admin/sentinel/blocks/${b.kind}/${encodeURIComponent(b.value)}`, { method: 'DELETE' })).status).toBe(200);
    expect((await s.call(`/v1/shop/main/${s.table}/1`)).status).toBe(200);
  });
});

describe('MagSentinel blocks: persisted across restarts, lapsing at expiry, refusing bad input', () => {
  it('keeps a block over a restart of the node and lets a timed one lapse', async () => {
    const first = await sentinelNode({ enabled: true });
    const keys = (await (await first.admin('/v1/admin/projects/shop/keys')).json()) as { data: Array<{ id: string }> };
    const block = (kind: string, value: string, forMs?: number) => first.admin('/v1/admin/sentinel/blocks', { method: 'POST', body: JSON.stringify({ kind, value, forMs, reason: "an operator's call" }) });
    expect((await block('key', keys.data[0]!.id)).status).toBe(201);
    expect((await first.call(`/v1/shop/main/${first.table}/1`)).status).toBe(403);
    const bad = await block('ip', 'nope');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; details: { field: string } } }).error).toMatchObject({ code: 'SENTINEL_TARGET_INVALID', details: { field: 'value' } });
    expect((await first.admin('/v1/admin/sentinel/blocks/ip/10.9.9.9', { method: 'DELETE' })).status).toBe(404);
    await first.node.stop();

    const again = await sentinelNode({ enabled: true }, {}, first.dir);
    expect((await again.call(`/v1/shop/main/${again.table}/1`, { key: first.key })).status).toBe(403);
    expect((await again.admin('/v1/admin/sentinel/blocks', { method: 'POST', body: JSON.stringify({ kind: 'ip', value: '127.0.0.1', forMs: 300 }) })).status).toBe(201);
    expect((await again.call(`/v1/shop/main/${again.table}/1`)).status).toBe(403);
    // The timed block lapses by itself (polled, bounded): then only the key block is left.
    await waitFor(async () => (await statusOf(again)).blocks.every((b) => b.kind !== 'ip'), 'the ip block lapsed');
    expect((await again.call(`/v1/shop/main/${again.table}/1`)).status).toBe(200);
    await again.node.stop();
  });
});

describe('MagSentinel and MagMQTT', () => {
  let t: MqttNode;
  beforeAll(async () => {
    t = await startMqttNode({ sentinel: { enabled: true, bruteForce: { perIp: { failures: 3 } } } });
    await createProject(t, 'plant');
  });
  afterAll(() => t.node.stop());

  it('blocks the address of a client guessing credentials, and disconnects a blocked client id', async () => {
    const { key } = await t.key('plant');
    for (let i = 0; i < 3; i++) expect(await connackCode(t.port, { username: 'plant', password: `ak_plant_wrong${i}`, clientId: `guess-${i}` })).not.toBe(0);
    await waitFor(async () => {
      const s = await t.admin<Status>('GET', '/v1/admin/sentinel');
      return s.blocks.some((b) => b.kind === 'ip' && b.source === 'brute-force');
    }, 'ip blocked after MQTT auth failures');
    const rest = await fetch(`${t.url}/v1/plant/x/y`, { headers: { authorization: `Bearer ${key}` } });
    expect(rest.status).toBe(403);
    await t.admin('DELETE', '/v1/admin/sentinel/blocks/ip/127.0.0.1');

    // A connected client whose id is then blocked is disconnected; a new CONNECT with it is refused (CONNACK 5).
    const live = await connect(t.port, { username: 'plant', password: key, clientId: 'sensor-7 (hall)' });
    await t.admin('POST', '/v1/admin/sentinel/blocks', { kind: 'mqtt', value: 'sensor-7 (hall)' });
    await waitFor(() => !live.connected, 'blocked client disconnected');
    const kicked = await waitFor(async () => {
      const events = await t.admin<Array<{ payload: { kind: string; action?: string } }>>('GET', '/v1/admin/sentinel/events?type=blocked');
      return events.find((e) => e.payload.action === 'disconnected');
    }, 'disconnect recorded');
    expect(kicked.payload.kind).toBe('mqtt');
    expect(await connackCode(t.port, { username: 'plant', password: key, clientId: 'sensor-7 (hall)' })).toBe(5);
    // Another client id of the same key connects as usual.
    const other = await connect(t.port, { username: 'plant', password: key, clientId: 'sensor-8' });
    expect(other.connected).toBe(true);
    other.end(true);
  });
});
