import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mobo } from '../support/cli.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

interface Event {
  seq: number;
  at: number;
  topic: string;
  payload: Record<string, unknown>;
}

/**
 * In cluster mode the security audit log is the cluster's: a JetStream stream
 * (`MOBO_SECURITY_<cluster>`, bounded by `sentinel.audit.maxEvents` and `maxAgeMs`) that
 * every node writes through the bus and reads from, so an event on node A is listed from
 * node B, by the API and by `mobo sentinel:events`.
 */
describe('the security audit log across a cluster', () => {
  let c: TestCluster;
  const base = (i: number) => `http://127.0.0.1:${(JSON.parse(readFileSync(join(c.dirs[i]!, 'node.json'), 'utf8')) as { port: number }).port}`;
  const admin = (i: number, path: string, init: RequestInit = {}) =>
    fetch(`${base(i)}/v1/admin/sentinel${path}`, { ...init, headers: { authorization: `Bearer ${readFileSync(join(c.dirs[i]!, 'admin.token'), 'utf8').trim()}`, 'content-type': 'application/json' } });
  const events = async (i: number, query: string) => {
    const res = await admin(i, `/events?${query}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: Event[] }).data;
  };

  beforeAll(async () => {
    c = await startTestCluster('audit', 2, { MOBO_SENTINEL__ENABLED: 'true', MOBO_SENTINEL__AUDIT__MAX_EVENTS: '50' });
  });
  afterAll(() => c?.stop());

  it('lists on node B the events of node A, filtered by kind, since and limit, from the stream', async () => {
    const before = Date.now() - 1;
    for (const value of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
      expect((await admin(0, '/blocks', { method: 'POST', body: JSON.stringify({ kind: 'ip', value, reason: "audit's test" }) })).status).toBe(201);
    }
    expect((await admin(0, '/blocks/ip/203.0.113.1', { method: 'DELETE' })).status).toBe(200);

    const nodeA = c.nodes[0]!.nodeId;
    const blocked = await waitFor(async () => {
      const got = await events(1, 'type=blocked');
      return got.length === 3 ? got : undefined;
    }, 'node B lists node A blocks');
    expect(blocked.map((e) => e.payload.value)).toEqual(['203.0.113.3', '203.0.113.2', '203.0.113.1']);
    expect(blocked.every((e) => e.topic === 'security.blocked' && e.payload.node === nodeA && e.at >= before)).toBe(true);
    expect((await events(1, 'type=unblocked')).map((e) => e.payload.value)).toEqual(['203.0.113.1']);
    expect((await events(1, 'type=blocked&limit=1')).map((e) => e.payload.value)).toEqual(['203.0.113.3']);
    expect(await events(1, `type=blocked&since=${Date.now() + 60_000}`)).toEqual([]);
    expect(await events(1, 'type=threat')).toEqual([]);
    // Node B's own memory never heard of them differently: both nodes read the one stream.
    expect(await events(0, 'type=blocked')).toEqual(blocked);

    const cli = await mobo(['sentinel:events', '--kind', 'blocked', '--since', '1h', '--limit', '2', '--json'], { cwd: c.dirs[1]!, env: { MOBO_DATA_DIR: c.dirs[1]! } });
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const listed = JSON.parse(cli.stdout) as Event[] | { data: Event[] };
    expect((Array.isArray(listed) ? listed : listed.data).map((e) => e.payload.value)).toEqual(['203.0.113.3', '203.0.113.2']);
    const bad = await mobo(['sentinel:events', '--since', 'yesterday'], { cwd: c.dirs[1]!, env: { MOBO_DATA_DIR: c.dirs[1]! } });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--since');
  });
});
