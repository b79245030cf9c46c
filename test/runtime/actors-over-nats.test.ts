import { afterEach, describe, expect, it } from 'vitest';
import { SYS_KILL } from '../../runtime/cell.js';
import { createEnvelope } from '../../runtime/envelope.js';
import { MoboError } from '../../runtime/errors.js';
import { ActorSystem } from '../../runtime/system.js';
import { Journal, makeSupervisor, restarted, testActor } from '../support/actors.js';
import { connectNats } from '../support/nats.js';

/** Two actor systems, as two nodes would be, joined only by the real NATS server. */
describe('actors across nodes over NATS', () => {
  const systems: ActorSystem[] = [];
  const node = async (id: string): Promise<ActorSystem> => {
    const system = new ActorSystem({ nodeId: id, transport: await connectNats() });
    systems.push(system);
    return system;
  };
  afterEach(async () => {
    for (const s of systems.splice(0)) await s.shutdown();
  });
  const unique = (): string => `n${Math.random().toString(36).slice(2, 10)}`;

  it('reaches a remote actor through the same ref calls as a local one', async () => {
    const [a, b] = [await node('a'), await node('b')];
    const name = `${unique()}.greeter`;
    await a.start(name, () => ({ receive: (msg) => `hello ${String(msg.payload)} from a` }));
    expect(await b.ref(name).ask('greet', 'b')).toBe('hello b from a');
    expect(await a.ref(name).ask('greet', 'a')).toBe('hello a from a');
  });

  it('carries typed errors and crashes back across nodes', async () => {
    const [a, b] = [await node('a'), await node('b')];
    const name = `${unique()}.picky`;
    await a.start(name, () => ({
      receive(msg) {
        if (msg.type === 'missing') throw new MoboError('DS_ROW_NOT_FOUND', 'gone', { details: { id: 3 } });
        throw new Error('unexpected bug with secret detail');
      },
    }));
    await expect(b.ref(name).ask('missing')).rejects.toMatchObject({ code: 'DS_ROW_NOT_FOUND', details: { id: 3 } });
    const crash = (await b.ref(name).ask('bug').catch((e: unknown) => e)) as MoboError;
    expect(crash.code).toBe('ACTOR_CRASHED');
    expect(crash.message).not.toContain('secret');
  });

  it('lets another node kill an actor; its own supervisor brings it back', async () => {
    const [a, b] = [await node('a'), await node('b')];
    const j = new Journal();
    const sup = makeSupervisor(a, { name: 'root', strategy: 'one_for_one', backoff: { initialMs: 0 }, children: [testActor(a, j, 'victim')] });
    await sup.start();
    const back = restarted(a, 'victim');
    await b.ref('test.victim').ask(SYS_KILL);
    await back;
    expect(await b.ref('test.victim').ask('whoami')).toBe(2);
    await sup.stop();
  });

  it('spreads a pool of workers on two nodes as one queue group', async () => {
    const [a, b, caller] = [await node('a'), await node('b'), await node('c')];
    const name = `${unique()}.pool`;
    await a.start(name, () => ({ receive: () => 'a' }), { queue: 'workers' });
    await b.start(name, () => ({ receive: () => 'b' }), { queue: 'workers' });
    const answers = await Promise.all(Array.from({ length: 60 }, () => caller.ref(name).ask('job')));
    expect(answers).toHaveLength(60);
    expect(new Set(answers)).toEqual(new Set(['a', 'b']));
  });

  it('delivers a durable tell sent before the remote actor exists once it starts listening', async () => {
    const [a, b] = [await node('a'), await node('b')];
    const name = `${unique()}.inbox`;
    // A fresh envelope id: JetStream de-duplicates by message id within its window.
    await b.transport.tellDurable(createEnvelope(name, 'job', { n: 7 }));
    const got = new Promise((resolve) => void a.transport.listenDurable(name, (env) => resolve(env.payload)));
    expect(await got).toEqual({ n: 7 });
  });
});
