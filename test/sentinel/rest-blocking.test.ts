import { PostgrestClient } from '@supabase/postgrest-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, defaultManifestPath, resolveBands, SqlGuard } from '../../actors/sentinel/index.js';
import { waitFor } from '../support/wait.js';
import { EVERYDAY, heldOutAttacks, sentinelNode, type SentinelNode } from './helpers.js';

// Probing IPs get blocked after a few refusals; these suites replay many payloads from one address, so that limit is raised here (it has its own test).
const REPLAY = { enabled: true, sqlguard: { probesPerIp: { failures: 1_000_000 } } };

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
  meta: { request_id: string };
}

let guard: SqlGuard;
let attacks: Array<{ block: string; value: string; blocked: boolean }>;

beforeAll(async () => {
  guard = await SqlGuard.load(defaultManifestPath());
  const bands = resolveBands({ alert: 0.7, log: 0.4 }, guard.manifest);
  const sample = heldOutAttacks(25);
  const scored = await guard.score(sample.map((a) => a.value));
  attacks = sample.map((a, i) => ({ ...a, blocked: decide(scored[i]!.score, bands) === 'block' }));
});
afterAll(() => guard.close());

describe('MagSentinel on REST, block mode', () => {
  let s: SentinelNode;
  beforeAll(async () => {
    s = await sentinelNode({ ...REPLAY, mode: 'block' });
  });
  afterAll(() => s.node.stop());

  it('refuses replayed attacks in filter operands with 403 SENTINEL_BLOCKED, a request id, and no reasoning', async () => {
    expect(attacks.filter((a) => a.blocked).length / attacks.length).toBeGreaterThanOrEqual(0.99);
    for (const a of attacks) {
      const res = await s.call(`/v1/shop/main/${s.table}?name=eq.${encodeURIComponent(a.value)}`);
      if (!a.blocked) continue;
      expect(res.status, `${a.block}: ${a.value}`).toBe(403);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code).toBe('SENTINEL_BLOCKED');
      expect(body.meta.request_id).toBe(res.headers.get('x-request-id'));
      expect(JSON.stringify(body)).not.toMatch(/score|rule|model|sql|inject/i);
    }
  });

  it('refuses them in JSON bodies, path segments, the q search and the User-Agent, and nothing is written', async () => {
    const probe = "1' or '1'='1";
    const post = await s.call(`/v1/shop/main/${s.table}`, { method: 'POST', body: JSON.stringify({ id: 999, name: 'x', note: probe }) });
    expect(post.status).toBe(403);
    expect((await s.call(`/v1/shop/main/${s.table}/999`)).status).toBe(404);
    expect((await s.call(`/v1/shop/main/${s.table}/${encodeURIComponent("1 union select password from users--")}`)).status).toBe(403);
    expect((await s.call(`/v1/shop/main/${s.table}?q=${encodeURIComponent(probe)}`)).status).toBe(403);
    expect((await s.call(`/v1/shop/main/${s.table}?or=(name.eq.${encodeURIComponent("x') or sleep(5)#")},id.gt.3)`)).status).toBe(403);
    expect((await s.call(`/v1/shop/main/${s.table}/1`, { headers: { 'user-agent': "sqlmap' and extractvalue(1,concat(0x7e,version()))--" } })).status).toBe(403);
  });

  it('refuses them through the real postgrest-js client', async () => {
    const client = new PostgrestClient(`${s.base}/rest/v1/shop/main`, { headers: { apikey: s.key, Authorization: `Bearer ${s.key}` } });
    const res = await client.from(s.table).select('id').eq('name', "admin'--");
    expect(res.status).toBe(403);
    const ok = await client.from(s.table).select('id').eq('name', "O'Brien");
    expect(ok.error).toBeNull();
  });

  it('never blocks everyday values, apostrophes and SQL-like prose included, in filters and bodies', async () => {
    for (const [i, value] of EVERYDAY.entries()) {
      const list = await s.call(`/v1/shop/main/${s.table}?name=eq.${encodeURIComponent(value)}`);
      expect(list.status, value).toBe(200);
      const post = await s.call(`/v1/shop/main/${s.table}`, { method: 'POST', body: JSON.stringify({ id: 1000 + i, name: value, note: `${value} — note` }) });
      expect(post.status, value).toBe(201);
    }
  });

  it('records each refusal as security.threat in the audit log', async () => {
    const events = await waitFor(async () => {
      const body = (await (await s.admin('/v1/admin/sentinel/events?type=threat&limit=5')).json()) as { data: Array<{ topic: string; payload: Record<string, unknown> }> };
      return body.data.length > 0 ? body.data : undefined;
    }, 'threat events');
    expect(events[0]!.topic).toBe('security.threat');
    expect(events[0]!.payload).toMatchObject({ surface: 'rest', decision: 'block', mode: 'block' });
  });
});

describe('MagSentinel on REST, monitor mode', () => {
  let s: SentinelNode;
  beforeAll(async () => {
    s = await sentinelNode({ ...REPLAY, mode: 'monitor' });
  });
  afterAll(() => s.node.stop());

  it('passes the replayed attacks and logs each as a threat', async () => {
    const blocked = attacks.filter((a) => a.blocked).slice(0, 40);
    for (const a of blocked) {
      const res = await s.call(`/v1/shop/main/${s.table}?name=eq.${encodeURIComponent(a.value)}`);
      expect(res.status, a.value).toBe(200);
    }
    const events = await waitFor(async () => {
      const body = (await (await s.admin('/v1/admin/sentinel/events?type=threat&limit=1000')).json()) as { data: Array<{ payload: { value: string; mode: string } }> };
      return body.data.length >= blocked.length ? body.data : undefined;
    }, 'a threat event per attack');
    expect(events.every((e) => e.payload.mode === 'monitor')).toBe(true);
    expect(new Set(events.map((e) => e.payload.value))).toEqual(new Set(blocked.map((a) => a.value.slice(0, 200))));
  });
});

describe('MagSentinel off', () => {
  let s: SentinelNode;
  beforeAll(async () => {
    s = await sentinelNode({ enabled: false });
  });
  afterAll(() => s.node.stop());

  it('lets everything through and scores nothing', async () => {
    expect((await s.call(`/v1/shop/main/${s.table}?name=eq.${encodeURIComponent("1' or '1'='1")}`)).status).toBe(200);
    const status = (await (await s.admin('/v1/admin/sentinel')).json()) as { data: { enabled: boolean; model: unknown; counts: Record<string, number> } };
    expect(status.data).toMatchObject({ enabled: false, model: null, counts: {} });
  });
});
