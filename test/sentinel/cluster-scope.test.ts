import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../support/cluster.js';
import { NATS_URL } from '../support/nats.js';
import { waitFor } from '../support/wait.js';

/**
 * Two clusters on one NATS server (as two suites, or staging beside production): each is
 * its own `transport.cluster`, so Sentinel's blocks, failures and security events (and
 * every other subject) of one never reach the other.
 */
describe('two clusters on one NATS server', () => {
  let a: TestCluster;
  let b: TestCluster;
  let observer: NatsConnection;
  const seen: Array<{ subject: string; text: string }> = [];
  const base = (c: TestCluster) => `http://127.0.0.1:${(JSON.parse(readFileSync(join(c.dirs[0]!, 'node.json'), 'utf8')) as { port: number }).port}`;
  const admin = (c: TestCluster, path: string, init: RequestInit = {}) =>
    fetch(`${base(c)}/v1/admin/sentinel${path}`, { ...init, headers: { authorization: `Bearer ${readFileSync(join(c.dirs[0]!, 'admin.token'), 'utf8').trim()}`, 'content-type': 'application/json' } });
  const blocksOf = async (c: TestCluster) => ((await (await admin(c, '')).json()) as { data: { blocks: Array<{ kind: string; value: string }> } }).data.blocks;
  const login = (c: TestCluster) =>
    fetch(`${base(c)}/v1/auth/shop/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: "o'brien@example.com", password: 'wrong' }) });

  beforeAll(async () => {
    const env = { MOBO_SENTINEL__ENABLED: 'true' };
    [a, b] = await Promise.all([startTestCluster('scope_a', 1, env), startTestCluster('scope_b', 1, env)]);
    for (const c of [a, b]) await c.nodes[0]!.system.ref(c.nodes[0]!.address('catalog')).ask('project.create', { project: 'shop' }, { timeoutMs: 15_000 });
    // One subscription to everything of both clusters: NATS keeps one publisher's messages in order on it.
    observer = await connect({ servers: NATS_URL, name: 'mobo-test-scope' });
    observer.subscribe(`mobo.${a.cluster}.>`, { callback: (_e, m) => void seen.push({ subject: m.subject, text: m.string() }) });
    observer.subscribe(`mobo.${b.cluster}.>`, { callback: (_e, m) => void seen.push({ subject: m.subject, text: m.string() }) });
    await observer.flush();
  });
  afterAll(async () => {
    await observer?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('keeps a block made in one cluster out of the other', async () => {
    expect(a.cluster).not.toBe(b.cluster);
    expect((await admin(a, '/blocks', { method: 'POST', body: JSON.stringify({ kind: 'ip', value: '127.0.0.1', reason: "scope test's block" }) })).status).toBe(201);
    // A marker made after the block: once it is seen, everything cluster A published before it has been.
    expect((await admin(a, '/blocks', { method: 'POST', body: JSON.stringify({ kind: 'ip', value: '198.51.100.9' }) })).status).toBe(201);
    await waitFor(() => seen.some((m) => m.subject.startsWith(`mobo.${a.cluster}.`) && m.subject.endsWith('sentinel.sync') && m.text.includes('198.51.100.9')), 'the marker on the wire');

    expect(seen.some((m) => m.subject === `mobo.${a.cluster}.t.ev.sentinel.sync` && m.text.includes('127.0.0.1'))).toBe(true);
    expect(seen.some((m) => m.subject === `mobo.${a.cluster}.t.ev.security.blocked` && m.text.includes('127.0.0.1'))).toBe(true);
    expect(seen.filter((m) => m.subject.startsWith(`mobo.${b.cluster}.`) && (m.text.includes('127.0.0.1') || m.text.includes('198.51.100.9')))).toEqual([]);

    expect((await login(a)).status).toBe(403);
    expect(await blocksOf(b)).toEqual([]);
    // Cluster B still answers 127.0.0.1: a wrong password is a 401, not a block.
    expect((await login(b)).status).toBe(401);
    const events = ((await (await admin(b, '/events?type=blocked')).json()) as { data: unknown[] }).data;
    expect(events).toEqual([]);
  });
});
