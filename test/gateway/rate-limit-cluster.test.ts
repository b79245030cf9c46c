import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

/** Two nodes of one cluster: NATS between them, one control store (a throwaway Postgres database), one secrets.key. */
describe('rate limits across a cluster', () => {
  let cluster: TestCluster;
  let nodes: MoboNode[];
  let dirs: string[];

  beforeAll(async () => {
    cluster = await startTestCluster('rl', 2, { MOBO_RATE_LIMITS__PER_KEY__RPS: '0.001', MOBO_RATE_LIMITS__PER_KEY__BURST: '4' });
    ({ nodes, dirs } = cluster);
  });
  afterAll(() => cluster.stop());

  it("spends one key's budget across both nodes", async () => {
    const [a, b] = nodes as [MoboNode, MoboNode];
    const ask = <T>(type: string, payload: unknown, actor: string) => a.system.ref(a.address(actor)).ask<T>(type, payload, { timeoutMs: 15_000 });
    await ask('project.create', { project: 'shop' }, 'catalog');
    await ask('source.add', { project: 'shop', name: 'lite', kind: 'sqlite', url: join(dirs[0]!, 'shop.db') }, 'catalog');
    const { key } = await ask<{ key: string }>('key.create', { project: 'shop', role: 'viewer' }, 'auth');
    const url = (dir: string) => `http://127.0.0.1:${(JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as { port: number }).port}/v1/shop/lite/nothing`;
    const hit = (dir: string) => fetch(url(dir), { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);

    // Node b hears node a's spending through the bus: await that, no sleeping.
    const heard = b.system.events.once<{ node: string }>('api.ratelimit.usage', (e) => e.payload.node === a.nodeId);
    const onA = [await hit(dirs[0]!), await hit(dirs[0]!), await hit(dirs[0]!)];
    expect(onA.every((s) => s !== 429)).toBe(true);
    await heard;
    const onB = [await hit(dirs[1]!), await hit(dirs[1]!)];
    expect(onB[0]).not.toBe(429); // the fourth token of the burst
    expect(onB[1]).toBe(429); // a's three and b's one: the burst of four is spent cluster-wide
  });
});
