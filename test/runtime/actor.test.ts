import { afterEach, describe, expect, it } from 'vitest';
import type { Behavior } from '../../runtime/behavior.js';
import { MoboError } from '../../runtime/errors.js';
import type { ExitReason } from '../../runtime/lifecycle.js';
import { Logger } from '../../runtime/logger.js';
import { ActorSystem } from '../../runtime/system.js';
import { deferred } from '../support/wait.js';

describe('actor cell', () => {
  let system: ActorSystem;
  afterEach(async () => system?.shutdown());

  function counter(): Behavior {
    let count = 0;
    return {
      receive(msg) {
        if (msg.type === 'inc') return ++count;
        if (msg.type === 'fail') throw new MoboError('DS_ROW_NOT_FOUND', 'no such row');
        if (msg.type === 'crash') throw new TypeError('bug');
        return count;
      },
    };
  }

  it('answers asks and keeps its state between messages', async () => {
    system = new ActorSystem();
    await system.start('c', counter);
    const ref = system.ref('c');
    ref.tell('inc');
    ref.tell('inc');
    expect(await ref.ask('inc')).toBe(3);
  });

  it('answers a typed error and carries on; an unexpected throw is a crash reported to the parent', async () => {
    system = new ActorSystem();
    const cell = await system.start('c', counter);
    const exits: ExitReason[] = [];
    cell.onExit((r) => exits.push(r));
    await expect(system.ref('c').ask('fail')).rejects.toMatchObject({ code: 'DS_ROW_NOT_FOUND' });
    expect(cell.state).toBe('running');
    await expect(system.ref('c').ask('crash')).rejects.toMatchObject({ code: 'ACTOR_CRASHED' });
    expect(cell.state).toBe('crashed');
    expect(exits.map((e) => e.kind)).toEqual(['crash']);
  });

  it('keeps messages sent while it is down for its next incarnation, which starts with fresh state', async () => {
    system = new ActorSystem();
    const cell = await system.start('c', counter);
    const ref = system.ref('c');
    await ref.ask('inc');
    cell.kill();
    const pending = ref.ask('inc');
    await cell.start();
    expect(await pending).toBe(1);
  });

  it('takes one message at a time in order when concurrency is 1', async () => {
    system = new ActorSystem();
    const order: string[] = [];
    let active = 0;
    let maxActive = 0;
    await system.start('serial', () => ({
      async receive(msg) {
        active++;
        maxActive = Math.max(maxActive, active);
        order.push(`start ${String(msg.payload)}`);
        await new Promise((r) => setImmediate(r));
        order.push(`end ${String(msg.payload)}`);
        active--;
      },
    }));
    await Promise.all([1, 2, 3].map((n) => system.ref('serial').ask('work', n)));
    expect(maxActive).toBe(1);
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('lets up to `concurrency` messages await I/O at once', async () => {
    system = new ActorSystem();
    const gate = deferred();
    let active = 0;
    const reachedFour = deferred();
    await system.start(
      'pool',
      () => ({
        async receive() {
          active++;
          if (active === 4) reachedFour.resolve();
          await gate.promise;
          active--;
        },
      }),
      { mailbox: { concurrency: 4 } },
    );
    const asks = Array.from({ length: 6 }, () => system.ref('pool').ask('q'));
    await reachedFour.promise;
    expect(active).toBe(4);
    gate.resolve();
    await Promise.all(asks);
    expect(active).toBe(0);
  });

  it('refuses a message to a full mailbox with MAILBOX_FULL (reject policy)', async () => {
    system = new ActorSystem();
    const gate = deferred();
    await system.start('busy', () => ({ receive: () => gate.promise }), { mailbox: { capacity: 2 } });
    const ref = system.ref('busy');
    const first = ref.ask('a');
    await Promise.resolve();
    const queued = [ref.ask('b'), ref.ask('c')];
    await expect(ref.ask('d')).rejects.toMatchObject({ code: 'MAILBOX_FULL' });
    expect(() => ref.tell('e')).toThrow(expect.objectContaining({ code: 'MAILBOX_FULL' }));
    gate.resolve();
    await Promise.all([first, ...queued]);
  });

  it('drops the oldest waiting message under the drop-oldest policy', async () => {
    system = new ActorSystem();
    const gate = deferred();
    const seen: unknown[] = [];
    await system.start(
      'lossy',
      () => ({
        async receive(msg) {
          seen.push(msg.payload);
          await gate.promise;
        },
      }),
      { mailbox: { capacity: 2, overflow: 'drop-oldest' } },
    );
    const ref = system.ref('lossy');
    const first = ref.ask('m', 1);
    await Promise.resolve();
    const second = ref.ask('m', 2);
    const third = ref.ask('m', 3);
    const fourth = ref.ask('m', 4);
    await expect(second).rejects.toMatchObject({ code: 'MAILBOX_FULL' });
    gate.resolve();
    await Promise.all([first, third, fourth]);
    expect(seen).toEqual([1, 3, 4]);
  });

  it('rejects queued asks with ACTOR_STOPPED when stopped, and refuses new ones', async () => {
    system = new ActorSystem();
    const gate = deferred();
    const cell = await system.start('s', () => ({ receive: () => gate.promise }));
    const ref = system.ref('s');
    const inFlight = ref.ask('a');
    await Promise.resolve();
    const queued = ref.ask('b');
    const stopping = cell.stop(1_000);
    await expect(queued).rejects.toMatchObject({ code: 'ACTOR_STOPPED' });
    gate.resolve();
    await inFlight;
    await stopping;
    await expect(ref.ask('c')).rejects.toMatchObject({ code: 'ACTOR_NOT_FOUND' });
  });

  it('answers health through its mailbox, so a stuck actor times out', async () => {
    system = new ActorSystem();
    const cell = await system.start('stuck', () => ({
      receive: () => new Promise(() => undefined),
      health: () => ({ status: 'ok' }),
    }));
    expect(await cell.health(500)).toEqual({ status: 'ok' });
    system.ref('stuck').tell('hang');
    await expect(cell.health(50)).rejects.toMatchObject({ code: 'ACTOR_ASK_TIMEOUT' });
  });

  it('refuses a start whose POST fails with SUP_POST_FAILED naming the actor', async () => {
    system = new ActorSystem();
    await expect(
      system.start('broken', () => ({
        start() {
          throw new Error('disk missing');
        },
        receive: () => null,
      })),
    ).rejects.toMatchObject({ code: 'SUP_POST_FAILED', details: { actor: 'broken' } });
  });

  it('logs a crash with the trace id of the message that caused it, as JSON lines', async () => {
    const lines: string[] = [];
    system = new ActorSystem({ log: new Logger({ level: 'info', format: 'json', sink: { write: (l) => void lines.push(l) } }) });
    await system.start('c', counter);
    await system.ref('c').ask('crash', null, { traceId: 'req-7' }).catch(() => undefined);
    const crash = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.msg === 'actor exited');
    expect(crash).toMatchObject({ level: 'warn', component: 'c', reason: 'crash', traceId: 'req-7', error: 'TypeError: bug' });
  });

  it('rejects bad names', () => {
    system = new ActorSystem();
    expect(() => system.spawn('bad name!', counter)).toThrow(expect.objectContaining({ code: 'ACTOR_BAD_NAME' }));
  });
});
