import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { SENTINEL_ENTRIES } from '../../actors/sentinel/index.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

/** Two nodes of one cluster: NATS between them, one control store (a throwaway Postgres database). */
describe('MagSentinel brute-force detection across a cluster', () => {
  let cluster: TestCluster;
  let nodes: MoboNode[];
  let dirs: string[];
  const base = (i: number) => `http://127.0.0.1:${(JSON.parse(readFileSync(join(dirs[i]!, 'node.json'), 'utf8')) as { port: number }).port}`;
  const token = (i: number) => readFileSync(join(dirs[i]!, 'admin.token'), 'utf8').trim();
  const login = (i: number, email: string, password: string) =>
    fetch(`${base(i)}/v1/auth/shop/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const status = (i: number) =>
    fetch(`${base(i)}/v1/admin/sentinel`, { headers: { authorization: `Bearer ${token(i)}` } }).then(async (r) => ((await r.json()) as { data: { blocks: Array<{ kind: string; value: string; reason: string; source: string }> } }).data);

  beforeAll(async () => {
    cluster = await startTestCluster('sn', 2, {
      MOBO_SENTINEL__ENABLED: 'true',
      MOBO_SENTINEL__BRUTE_FORCE__PER_IP__FAILURES: '4',
      MOBO_SENTINEL__BRUTE_FORCE__ACCOUNTS_PER_IP: '50',
    });
    ({ nodes, dirs } = cluster);
    const a = nodes[0]!;
    await a.system.ref(a.address('catalog')).ask('project.create', { project: 'shop' }, { timeoutMs: 15_000 });
    // Signup is closed by default: the operator creates the user.
    const created = await fetch(`${base(0)}/v1/admin/projects/shop/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token(0)}` },
      body: JSON.stringify({ email: "o'brien@example.com", password: 'correct horse battery' }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
  });
  afterAll(() => cluster.stop());

  it('blocks the IP on every node after failed logins spread over both, keeps the block in the control store, and lifts it everywhere', async () => {
    const failures = [await login(0, "o'brien@example.com", 'guess 1'), await login(1, "o'brien@example.com", 'guess 2'), await login(0, "o'brien@example.com", 'guess 3')];
    expect(failures.map((r) => r.status)).toEqual([401, 401, 401]);
    // The fourth failure (counted from both nodes' reports over NATS) blocks 127.0.0.1.
    expect((await login(1, "o'brien@example.com", 'guess 4')).status).toBe(401);
    for (const i of [0, 1]) {
      await waitFor(async () => (await status(i)).blocks.some((b) => b.kind === 'ip' && b.value === '127.0.0.1'), `node ${i} holds the block`);
      const refused = await login(i, "o'brien@example.com", 'correct horse battery');
      expect(refused.status).toBe(403);
      const body = (await refused.json()) as { error: { code: string }; meta: { request_id: string } };
      expect(body.error.code).toBe('SENTINEL_BLOCKED');
      expect(body.meta.request_id).toBeTruthy();
    }
    const [block] = (await status(0)).blocks;
    expect(block).toMatchObject({ source: 'brute-force', reason: 'failed logins from this address' });
    const stored = await waitFor(async () => {
      const c = new pg.Client({ connectionString: cluster.controlUrl });
      await c.connect();
      const { rows } = await c.query(`select kind, value, until from ${SENTINEL_ENTRIES} where type = 'block'`);
      await c.end();
      return rows.length > 0 ? rows : undefined;
    }, 'block stored');
    expect(stored[0]).toMatchObject({ kind: 'ip', value: '127.0.0.1' });
    expect(Number(stored[0].until)).toBeGreaterThan(Date.now());

    const lifted = await fetch(`${base(1)}/v1/admin/sentinel/blocks/ip/127.0.0.1`, { method: 'DELETE', headers: { authorization: `Bearer ${token(1)}` } });
    expect(lifted.status).toBe(200);
    for (const i of [0, 1]) await waitFor(async () => (await status(i)).blocks.length === 0, `node ${i} lifted the block`);
    expect((await login(0, "o'brien@example.com", 'correct horse battery')).status).toBe(200);
  });
});
