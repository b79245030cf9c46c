import { afterEach, describe, expect, it } from 'vitest';
import { Membership } from '../../cluster/membership.js';
import { placeKey } from '../../cluster/placement.js';
import { ClusterPlacer } from '../../cluster/placer.js';
import { ActorSystem } from '../../runtime/system.js';
import { Supervisor } from '../../supervisors/supervisor.js';
import { NATS_URL } from '../support/nats.js';
import { clusterId, dropClusterBuckets } from '../support/members.js';
import { waitFor } from '../support/wait.js';

const timeouts = { heartbeatMs: 100, suspectMs: 300, downMs: 600 };
const NAMES = ['shard-a', 'shard-b', 'shard-c', 'shard-d', 'shard-e', 'shard-f'];

interface TestNode {
  id: string;
  membership: Membership;
  system: ActorSystem;
  sup: Supervisor;
  /** Names whose actor currently runs on this node. */
  running(): string[];
}

describe('supervised children placed across a cluster (in process, real NATS)', () => {
  let cluster = '';
  let nodes: TestNode[] = [];
  afterEach(async () => {
    for (const n of nodes) {
      await n.sup.stop().catch(() => undefined);
      await n.membership.leave().catch(() => undefined);
      await n.system.shutdown();
    }
    nodes = [];
    await dropClusterBuckets(cluster);
  });

  async function startNode(id: string, children: { name: string; placement: 'singleton' | 'sharded' | 'node' }[]): Promise<TestNode> {
    const membership = await Membership.join({ servers: NATS_URL, clusterId: cluster, nodeId: id, ...timeouts });
    const system = new ActorSystem({ nodeId: id });
    const placer = new ClusterPlacer({ servers: NATS_URL, membership, leaseMs: 600 });
    const sup = new Supervisor(
      {
        name: `root-${id}`,
        strategy: 'one_for_one',
        children: children.map((c) => ({ name: c.name, placement: c.placement, create: () => system.spawn(c.name, () => ({ receive: () => id })) })),
      },
      { clock: system.clock, events: system.events, log: system.log, placer },
    );
    await sup.start();
    const node: TestNode = { id, membership, system, sup, running: () => children.map((c) => c.name).filter((n) => system.cell(n)?.state === 'running') };
    nodes.push(node);
    return node;
  }

  it('runs a singleton child on one node only, and on the other once its node stops', async () => {
    cluster = clusterId('placed');
    const spec = [{ name: 'scheduler', placement: 'singleton' as const }, { name: 'local', placement: 'node' as const }];
    const a = await startNode('pa', spec);
    const b = await startNode('pb', spec);
    await waitFor(() => a.running().includes('scheduler') || b.running().includes('scheduler'), 'someone runs the singleton');
    expect([a, b].filter((n) => n.running().includes('scheduler'))).toHaveLength(1);
    expect(a.running()).toContain('local');
    expect(b.running()).toContain('local');
    const [holder, other] = a.running().includes('scheduler') ? [a, b] : [b, a];
    await holder.sup.stop();
    await waitFor(() => other.running().includes('scheduler'), 'the other node starts the singleton');
    // The supervisor sees one child, running (active or standing by), with no restarts.
    expect(other.sup.statuses().find((s) => s.name === 'scheduler')).toMatchObject({ state: 'running', restarts: 0 });
  }, 60_000);

  it('moves sharded children off a node that goes silent, and back when it returns', async () => {
    cluster = clusterId('sharded');
    const spec = NAMES.map((name) => ({ name, placement: 'sharded' as const }));
    for (const id of ['sa', 'sb', 'sc']) await startNode(id, spec);
    const where = (): Record<string, string[]> => Object.fromEntries(NAMES.map((n) => [n, nodes.filter((x) => x.running().includes(n)).map((x) => x.id)]));
    const expected = (live: string[]): Record<string, string[]> => Object.fromEntries(NAMES.map((n) => [n, [placeKey(n, live)!]]));
    await waitFor(() => JSON.stringify(where()) === JSON.stringify(expected(['sa', 'sb', 'sc'])), 'each shard on the node rendezvous hashing picks');
    const owned = NAMES.filter((n) => placeKey(n, ['sa', 'sb', 'sc']) === 'sb');

    // sb's membership goes silent (no goodbye); its supervisor tree is stopped as a dead node's would be.
    const sb = nodes.find((n) => n.id === 'sb')!;
    await sb.membership.close();
    await sb.sup.stop();
    await sb.system.shutdown();
    nodes = nodes.filter((n) => n !== sb);
    await waitFor(() => JSON.stringify(where()) === JSON.stringify(expected(['sa', 'sc'])), 'shards of the silent node move to the others', 20_000);
    for (const n of owned) expect(where()[n]).not.toContain('sb');

    await startNode('sb', spec);
    await waitFor(() => JSON.stringify(where()) === JSON.stringify(expected(['sa', 'sb', 'sc'])), 'shards return to the node when it rejoins', 20_000);
    if (owned.length > 0) expect(owned.every((n) => where()[n]![0] === 'sb')).toBe(true);
  }, 90_000);

  it('rejects an unknown placement in a child spec', () => {
    const system = new ActorSystem();
    expect(() => new Supervisor({ name: 'bad', strategy: 'one_for_one', children: [{ name: 'x', placement: 'everywhere' as 'node', create: () => system.spawn('x', () => ({ receive: () => null })) }] }, { clock: system.clock, events: system.events, log: system.log })).toThrow(expect.objectContaining({ code: 'SUP_BAD_SPEC' }));
  });
});
