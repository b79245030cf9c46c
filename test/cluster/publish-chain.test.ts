import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublishChain } from '../../cluster/publish-chain.js';
import type { CapturedChange } from '../../runtime/index.js';
import { changePosition } from '../../runtime/index.js';
import { NATS_URL } from '../support/nats.js';

const change = (n: number): CapturedChange => ({ pos: changePosition(`0/${(0x1000 + n).toString(16)}`, 0), table: 'items', op: 'INSERT', row: { id: n }, at: 0 });

/**
 * The change relay's publishes, chained on real JetStream: a change is appended only right after
 * the one before it. The one fake here is a JetStream client whose publish of one chosen change
 * is lost (never sent, answered with an error), which a NATS server dying under it does.
 */
describe('PublishChain: no change is appended behind a lost one', () => {
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const stream = `MOBO_TEST_CHAIN_${Date.now()}`;
  const subject = `${stream}.cdc`;
  const inStream = async (): Promise<number[]> => {
    const ids: number[] = [];
    const { state } = await jsm.streams.info(stream);
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      ids.push((m!.json<CapturedChange>().row as { id: number }).id);
    }
    return ids;
  };

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [subject] });
  });
  afterAll(async () => {
    await jsm?.streams.delete(stream).catch(() => undefined);
    await nc?.close();
  });

  it('refuses what follows a lost publish, breaks the run, and the next run appends in order from the tail', async () => {
    const first = new PublishChain(js, jsm, stream, subject);
    await first.publish([change(1), change(2)]);
    // Change 3 is lost on its way; 4 and 5 are sent right behind it, pipelined.
    const losing = new Proxy(js, {
      get: (target, prop) =>
        prop === 'publish'
          ? (subj: string, data: string, opts: { msgID: string }) => (opts.msgID === change(3).pos ? Promise.reject(new Error('lost with its NATS server')) : target.publish(subj, data, opts))
          : Reflect.get(target, prop),
    }) as JetStreamClient;
    const run = new PublishChain(losing, jsm, stream, subject);
    const results = await Promise.allSettled([run.publish([change(3)]), run.publish([change(4), change(5)])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/wrong last msg ID/i);
    // Broken: a later transaction of that run is refused without being sent.
    await expect(run.publish([change(6)])).rejects.toThrow(/lost with its NATS server/);
    expect(await inStream()).toEqual([1, 2]);

    // The reader restarts from its last acknowledged transaction (2): a new run, from the stream's tail.
    const again = new PublishChain(js, jsm, stream, subject);
    await again.publish([change(1), change(2)]); // at or before the tail: not sent again
    await Promise.all([again.publish([change(3)]), again.publish([change(4), change(5)]), again.publish([change(6)])]);
    expect(await inStream()).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
