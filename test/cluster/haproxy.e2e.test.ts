import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { startHaproxyCluster, type HaproxyCluster } from '../../bench/cluster-haproxy.js';

/**
 * Three `mobo boot` processes of one cluster behind the machine's HAProxy
 * (deploy/haproxy.cfg): a node drained while clients keep calling through the load balancer
 * costs them nothing — its health goes 503, its refusals (NODE_DRAINING) and then its
 * closed port are retried on another node.
 */
describe('three nodes behind HAProxy', () => {
  let lb: HaproxyCluster;
  beforeAll(async () => {
    // No periodic component health checks: on a loaded box their timeouts could take healthy nodes out of
    // HAProxy (all three at once answers 503 from HAProxy itself); /health still answers the drain.
    lb = await startHaproxyCluster({ nodes: 3, env: { MOBO_CLUSTER__DRAIN_GRACE_MS: '0', MOBO_HEALTH__INTERVAL_MS: '0' } });
  }, 180_000);
  afterAll(async () => {
    await lb?.stop();
  }, 60_000);

  it('keeps answering through the load balancer while one node drains and leaves', async () => {
    /** What clients saw that was not a 200: the phase, the status and the body (for a failure's message). */
    const failures: string[] = [];
    let phase = 'before';
    const call = async (): Promise<void> => {
      const res = await fetch(`${lb.url}/.well-known/jwks.json`);
      const body = await res.text();
      if (res.status !== 200) failures.push(`${phase}: ${res.status} ${body.slice(0, 200)}`);
    };
    for (let i = 0; i < 30; i++) await call();

    const [drained, other] = lb.nodes as [HaproxyCluster['nodes'][number], HaproxyCluster['nodes'][number]];
    const token = readFileSync(join(drained.dir, 'admin.token'), 'utf8').trim();
    phase = 'during the drain';
    const drain = fetch(`${drained.url}/v1/admin/cluster/drain`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' }).then(
      async (r) => ({ status: r.status, body: (await r.json()) as { data: { node: string; inFlightLeft: number } } }),
    );
    // Clients keep calling until the drained node's process is gone, and a little after.
    let gone = false;
    void drained.exited.then(() => (gone = true));
    while (!gone) await call();
    phase = 'after';
    for (let i = 0; i < 30; i++) await call();

    const report = await drain;
    expect(report.status).toBe(200);
    expect(report.body.data).toMatchObject({ node: drained.id, inFlightLeft: 0 });
    expect(await drained.exited).toBe(0);
    expect(failures).toEqual([]);

    // The other node hears the drained one leave, then go (its last heartbeat deleted): as soon as the KV watch delivers it.
    const otherToken = readFileSync(join(other.dir, 'admin.token'), 'utf8').trim();
    const states = async () =>
      Object.fromEntries(((await (await fetch(`${other.url}/v1/admin/cluster/nodes`, { headers: { authorization: `Bearer ${otherToken}` } })).json()) as { data: Array<{ node: string; state: string }> }).data.map((n) => [n.node, n.state]));
    await waitFor(async () => (await states())[drained.id] === 'down', 'the drained node seen down by the other');
    expect(await states()).toMatchObject({ [drained.id]: 'down', [other.id]: 'up' });
  }, 180_000);
});
