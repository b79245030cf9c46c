import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster, type NatsCluster } from '../../bench/chaos/nats-cluster.js';
import { JetStreamChangeRelay } from '../../cluster/change-relay.js';
import { changePosition, type CapturedChange, type CaptureReader, type RelayAttachment } from '../../runtime/index.js';
import { waitFor } from '../support/wait.js';

/**
 * The change relay's followers on a three-server NATS cluster (JetStream replicas 3), as the
 * chaos run found them wanting: a follower must keep receiving when the NATS server its consumer
 * lives on dies, and a follower re-attached in the same process (its connection actor restarted)
 * must go on from where the previous one stopped.
 */
describe('change relay followers on a NATS cluster', () => {
  let nats: NatsCluster;
  let publisher: NatsConnection;
  const relays: JetStreamChangeRelay[] = [];
  const noReader = (): CaptureReader => {
    throw new Error('followers only');
  };
  const open = async (nodeId: string): Promise<JetStreamChangeRelay> => {
    const relay = await JetStreamChangeRelay.open({ servers: nats.url, replicas: 3, clusterId: 'follow', nodeId, runReaders: false });
    relays.push(relay);
    return relay;
  };
  let n = 0;
  /** Publishes `count` changes as a reader would (position as message id); resolves once JetStream has them. */
  const publish = async (relay: JetStreamChangeRelay, key: string, count: number): Promise<number[]> => {
    const js = jetstream(publisher);
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      const id = ++n;
      const change: CapturedChange = { pos: changePosition(`0/${id.toString(16)}`, 0), table: 't', op: 'INSERT', row: { id }, at: Date.now() };
      // Retried: a publish caught by a server's death has no answer, and the reader would send it again.
      for (;;) {
        const ok = await js.publish(relay.where(key).subject, JSON.stringify(change), { msgID: change.pos, timeout: 2_000 }).then(
          () => true,
          () => false,
        );
        if (ok) break;
      }
      ids.push(id);
    }
    return ids;
  };
  const follow = async (relay: JetStreamChangeRelay, key: string): Promise<{ got: number[]; attachment: RelayAttachment }> => {
    const got: number[] = [];
    const attachment = await relay.attach(key, noReader, (c) => got.push(c.row!['id'] as number));
    return { got, attachment };
  };

  beforeAll(async () => {
    nats = await startNatsCluster({ name: 'follow_test' });
    publisher = await connect({ servers: nats.url.split(','), maxReconnectAttempts: -1 });
  }, 60_000);
  afterAll(async () => {
    for (const r of relays) await r.close().catch(() => undefined);
    await publisher?.close();
    await nats?.stop();
  }, 30_000);

  it('keeps every follower receiving, each change once, while each NATS server in turn is killed and restarted', async () => {
    const followers = await Promise.all(['a', 'b', 'c'].map(async (node) => follow(await open(node), 'servers')));
    const sent = await publish(relays[0]!, 'servers', 20);
    for (const server of nats.servers.map((s) => s.name)) {
      await nats.kill(server);
      sent.push(...(await publish(relays[0]!, 'servers', 20)));
      await nats.restart(server);
      sent.push(...(await publish(relays[0]!, 'servers', 20)));
    }
    for (const f of followers) await waitFor(() => f.got.length >= sent.length, `a follower to have all ${sent.length} changes`, 30_000);
    for (const f of followers) expect(f.got).toEqual(sent);
    for (const f of followers) await f.attachment.close();
  }, 120_000);

  it("resumes where this node's previous follower stopped, and another node's from the tail", async () => {
    const relay = await open('resumer');
    const first = await follow(relay, 'resume');
    const before = await publish(relay, 'resume', 10);
    await waitFor(() => first.got.length === before.length, 'the first follower to have the first changes');
    await first.attachment.close();
    // Published while this node's connection actor restarts: its subscribers are still there.
    const meanwhile = await publish(relay, 'resume', 10);
    const second = await follow(relay, 'resume');
    const stranger = await follow(await open('stranger'), 'resume');
    const after = await publish(relay, 'resume', 5);
    await waitFor(() => second.got.length >= meanwhile.length + after.length && stranger.got.length >= after.length, 'both followers to have the later changes');
    expect(second.got).toEqual([...meanwhile, ...after]);
    expect(stranger.got).toEqual(after);
    await second.attachment.close();
    await stranger.attachment.close();
  }, 60_000);
});
