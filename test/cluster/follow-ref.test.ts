import { afterEach, describe, expect, it } from 'vitest';
import { followRef } from '../../cluster/follow-ref.js';
import { NatsCluster } from '../../cluster/nats-cluster.js';
import { NatsTransport } from '../../runtime/nats-transport.js';
import { ActorSystem } from '../../runtime/system.js';
import { Supervisor } from '../../supervisors/supervisor.js';
import { NATS_URL } from '../support/nats.js';
import { clusterId, dropClusterBuckets } from '../support/members.js';
import { deferred, waitFor } from '../support/wait.js';

const timings = { heartbeatMs: 100, suspectMs: 300, downMs: 600, leaseMs: 600 };

interface TestNode {
  id: string;
  cluster: NatsCluster;
  system: ActorSystem;
  sup: Supervisor;
}

/** Two nodes in process, each its own NATS transport and cluster membership, with a singleton `svc` that answers its node's id. */
describe('a ref that follows a singleton across nodes (real NATS)', () => {
  let cluster = '';
  let nodes: TestNode[] = [];
  /** Released to let a held ask of `svc` answer. */
  let held = deferred<void>();
  afterEach(async () => {
    held.resolve();
    for (const n of nodes) {
      await n.sup.stop().catch(() => undefined);
      await n.cluster.leave().catch(() => undefined);
      await n.system.shutdown();
    }
    nodes = [];
    await dropClusterBuckets(cluster);
  });

  async function startNode(id: string): Promise<TestNode> {
    const transport = await NatsTransport.connect({ servers: NATS_URL, cluster, name: `follow-${id}` });
    const system = new ActorSystem({ nodeId: id, transport });
    const node = await NatsCluster.join({ servers: NATS_URL, connection: transport.connection, clusterId: cluster, nodeId: id, events: system.events, ...timings });
    const sup = new Supervisor(
      {
        name: `root-${id}`,
        strategy: 'one_for_one',
        children: [
          {
            name: 'svc',
            placement: 'singleton',
            create: () =>
              system.spawn(`${id}.svc`, () => ({
                receive: async (msg) => {
                  if (msg.type === 'hold') await held.promise;
                  return id;
                },
              })),
          },
        ],
      },
      { clock: system.clock, events: system.events, log: system.log, placer: node.placer },
    );
    await sup.start();
    const n = { id, cluster: node, system, sup };
    nodes.push(n);
    return n;
  }

  const refFrom = (n: TestNode) => followRef({ locate: (name) => n.cluster.locate(name), ref: (address) => n.system.ref(address), address: (node, name) => `${node}.${name}` }, 'svc');

  it('reaches the node running it, the new node after a move, and fails an ask caught in the move with ACTOR_MOVING', async () => {
    cluster = clusterId('follow');
    const a = await startNode('fa');
    const b = await startNode('fb');
    const fromB = refFrom(b);
    const first = await waitFor(() => fromB.where(), 'b sees who runs svc');
    const [holder, other] = first === a.id ? [a, b] : [b, a];
    expect(await fromB.ask('who')).toBe(holder.id);
    expect(await refFrom(a).ask('who')).toBe(holder.id);

    // An ask in flight when the holder's copy stops (its node leaves): it fails with the retryable code, it does not hang.
    const caught = refFrom(other).ask('hold', null, { timeoutMs: 60_000 });
    await waitFor(() => holder.system.cell(`${holder.id}.svc`)?.state === 'running', 'svc runs on the holder');
    const stopping = holder.sup.stop();
    await expect(caught).rejects.toMatchObject({ code: 'ACTOR_MOVING', details: { actor: 'svc', node: holder.id } });
    await stopping;

    // After the move, the same ref reaches the new node.
    await waitFor(() => refFrom(other).where() === other.id, 'the other node runs svc');
    expect(await refFrom(other).ask('who')).toBe(other.id);
  }, 60_000);
});
