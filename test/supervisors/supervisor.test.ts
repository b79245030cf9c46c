import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../runtime/clock.js';
import type { ExitReason } from '../../runtime/lifecycle.js';
import type { ActorSystem } from '../../runtime/system.js';
import type { RestartType } from '../../supervisors/child.js';
import type { Strategy } from '../../supervisors/strategy.js';
import type { Supervisor } from '../../supervisors/supervisor.js';
import { Journal, makeSupervisor, makeSystem, restarted, testActor } from '../support/actors.js';

const NO_BACKOFF = { initialMs: 0 };
const ROOMY = { maxRestarts: 100, periodMs: 60_000 };

describe('supervisor', () => {
  let system: ActorSystem;
  let sup: Supervisor;
  afterEach(async () => {
    await sup?.stop();
    await system?.shutdown();
  });

  describe.each<[Strategy, string[]]>([
    ['one_for_one', ['b']],
    ['one_for_all', ['a', 'b', 'c']],
    ['rest_for_one', ['b', 'c']],
  ])('strategy %s', (strategy, expectRestarted) => {
    it(`restarts ${expectRestarted.join(', ')} when b crashes, in start order, leaving the rest alone`, async () => {
      system = makeSystem();
      const j = new Journal();
      sup = makeSupervisor(system, {
        name: 'root',
        strategy,
        intensity: ROOMY,
        backoff: NO_BACKOFF,
        children: ['a', 'b', 'c'].map((n) => testActor(system, j, n)),
      });
      await sup.start();
      expect(j.started).toEqual(['a', 'b', 'c']);
      const last = restarted(system, expectRestarted.at(-1)!);
      await expect(system.ref('test.b').ask('crash')).rejects.toMatchObject({ code: 'ACTOR_CRASHED' });
      await last;
      expect(j.started.slice(3)).toEqual(expectRestarted);
      for (const name of ['a', 'b', 'c']) {
        expect(await system.ref(`test.${name}`).ask('whoami')).toBe(expectRestarted.includes(name) ? 2 : 1);
      }
      expect(sup.statuses().map((s) => [s.name, s.state, s.restarts])).toEqual(
        ['a', 'b', 'c'].map((n) => [n, 'running', expectRestarted.includes(n) ? 1 : 0]),
      );
    });
  });

  describe.each<[RestartType, 'crash' | 'exit', boolean]>([
    ['permanent', 'crash', true],
    ['permanent', 'exit', true],
    ['transient', 'crash', true],
    ['transient', 'exit', false],
    ['temporary', 'crash', false],
    ['temporary', 'exit', false],
  ])('restart type %s on %s', (restart, how, expected) => {
    it(expected ? 'is restarted' : 'is not restarted', async () => {
      system = makeSystem();
      const j = new Journal();
      sup = makeSupervisor(system, {
        name: 'root',
        strategy: 'one_for_one',
        intensity: ROOMY,
        backoff: NO_BACKOFF,
        children: [testActor(system, j, 'w', { restart }), testActor(system, j, 'other')],
      });
      await sup.start();
      const exited = system.events.once('component.exited');
      const back = restarted(system, 'w');
      await system.ref('test.w').ask(how).catch(() => undefined);
      await exited;
      if (expected) {
        await back;
        expect(await system.ref('test.w').ask('whoami')).toBe(2);
      } else {
        // A later marker event proves the supervisor has finished handling the exit.
        await sup.restartChild('other');
        expect(j.incarnations('w')).toBe(1);
        const names = sup.statuses().map((s) => s.name);
        expect(names.includes('w')).toBe(restart !== 'temporary');
      }
    });
  });

  it('escalates to its parent when restarts exceed the intensity limit in the period', async () => {
    const clock = new ManualClock(1_000);
    system = makeSystem({ clock });
    const j = new Journal();
    sup = makeSupervisor(system, {
      name: 'kernel',
      strategy: 'one_for_one',
      intensity: { maxRestarts: 2, periodMs: 5_000 },
      backoff: NO_BACKOFF,
      children: [testActor(system, j, 'flaky'), testActor(system, j, 'steady')],
    });
    const exits: ExitReason[] = [];
    sup.onExit((r) => exits.push(r));
    await sup.start();
    for (let i = 0; i < 2; i++) {
      const back = restarted(system, 'flaky');
      sup.killChild('flaky');
      await back;
      clock.advance(1_000);
    }
    const escalated = system.events.once('system.escalated');
    sup.killChild('flaky');
    await escalated;
    await new Promise<void>((resolve) => (exits.length > 0 ? resolve() : sup.onExit(() => resolve())));
    expect(exits[0]).toMatchObject({ kind: 'escalated', error: { code: 'SUP_MAX_RESTARTS', details: { offender: 'flaky', supervisor: 'kernel' } } });
    expect(sup.state).toBe('crashed');
    expect(j.stopped).toContain('steady');
  });

  it('forgets restarts older than the period', async () => {
    const clock = new ManualClock(0);
    system = makeSystem({ clock });
    const j = new Journal();
    sup = makeSupervisor(system, {
      name: 'root',
      strategy: 'one_for_one',
      intensity: { maxRestarts: 1, periodMs: 5_000 },
      backoff: NO_BACKOFF,
      children: [testActor(system, j, 'w')],
    });
    await sup.start();
    for (let i = 0; i < 4; i++) {
      const back = restarted(system, 'w');
      sup.killChild('w');
      await back;
      clock.advance(6_000);
    }
    expect(sup.state).toBe('running');
    expect(j.incarnations('w')).toBe(5);
  });

  it('restarts a nested supervisor that escalated, bringing its subtree back', async () => {
    const clock = new ManualClock(0);
    system = makeSystem({ clock });
    const j = new Journal();
    const inner = (): Supervisor =>
      makeSupervisor(system, {
        name: 'data',
        strategy: 'one_for_one',
        intensity: { maxRestarts: 0, periodMs: 5_000 },
        children: [testActor(system, j, 'db'), testActor(system, j, 'cache')],
      });
    sup = makeSupervisor(system, {
      name: 'root',
      strategy: 'one_for_one',
      intensity: ROOMY,
      backoff: NO_BACKOFF,
      children: [{ name: 'data', create: inner }, testActor(system, j, 'gateway')],
    });
    await sup.start();
    const back = restarted(system, 'data');
    sup.killChild('db');
    await back;
    expect(j.incarnations('db')).toBe(2);
    expect(j.incarnations('cache')).toBe(2);
    expect(j.incarnations('gateway')).toBe(1);
    expect(await system.ref('test.cache').ask('echo', 'ok')).toBe('ok');
  });

  it('waits with exponential backoff between quick successive restarts (driven clock, no sleeping)', async () => {
    const clock = new ManualClock(0);
    system = makeSystem({ clock });
    const j = new Journal();
    sup = makeSupervisor(system, {
      name: 'root',
      strategy: 'one_for_one',
      intensity: ROOMY,
      backoff: { initialMs: 100, maxMs: 1_000, resetAfterMs: 10_000 },
      children: [testActor(system, j, 'w')],
    });
    await sup.start();
    let back = restarted(system, 'w');
    sup.killChild('w');
    await back; // first restart: immediate
    expect(j.incarnations('w')).toBe(2);

    // Each quick repeat waits twice as long as the one before: 100 ms, then 200 ms.
    for (const [delay, incarnation] of [[100, 3], [200, 4]] as const) {
      back = restarted(system, 'w');
      sup.killChild('w');
      await waitForTimers(clock, 1);
      clock.advance(delay - 1);
      expect(j.incarnations('w')).toBe(incarnation - 1);
      clock.advance(1);
      await back;
      expect(j.incarnations('w')).toBe(incarnation);
    }
  });

  it('fails boot with SUP_POST_FAILED naming the child, stopping those already started in reverse', async () => {
    system = makeSystem();
    const j = new Journal();
    sup = makeSupervisor(system, {
      name: 'root',
      strategy: 'one_for_one',
      children: [testActor(system, j, 'a'), testActor(system, j, 'b'), testActor(system, j, 'c', { failStart: () => true })],
    });
    await expect(sup.start()).rejects.toMatchObject({ code: 'SUP_POST_FAILED', message: expect.stringContaining('c') });
    expect(j.started).toEqual(['a', 'b']);
    // c releases what its failed start took, then b and a stop in reverse order.
    expect(j.stopped).toEqual(['c', 'b', 'a']);
  });

  it('fails boot on a dependency cycle before starting anything', async () => {
    system = makeSystem();
    const j = new Journal();
    sup = makeSupervisor(system, {
      name: 'root',
      strategy: 'one_for_one',
      children: [testActor(system, j, 'a', { dependsOn: ['b'] }), testActor(system, j, 'b', { dependsOn: ['a'] })],
    });
    await expect(sup.start()).rejects.toMatchObject({ code: 'SUP_BOOT_CYCLE', details: { cycle: ['a', 'b', 'a'] } });
    expect(j.started).toEqual([]);
  });

  it('stops children in reverse order, killing one that overruns its shutdown time', async () => {
    system = makeSystem();
    const j = new Journal();
    sup = makeSupervisor(system, {
      name: 'root',
      strategy: 'one_for_one',
      children: [testActor(system, j, 'a'), testActor(system, j, 'stubborn', { hangOnStop: true, shutdownMs: 50 }), testActor(system, j, 'c')],
    });
    await sup.start();
    await sup.stop();
    expect(j.stopped).toEqual(['c', 'stubborn', 'a']);
    expect(sup.statuses().map((s) => s.state)).toEqual(['stopped', 'stopped', 'stopped']);
  });

  it('restarts a child whose health checks fail past the threshold', async () => {
    system = makeSystem();
    const j = new Journal();
    let healthy = true;
    sup = makeSupervisor(system, {
      name: 'root',
      strategy: 'one_for_one',
      intensity: ROOMY,
      backoff: NO_BACKOFF,
      health: { thresholds: { degraded: 1, critical: 2, failed: 3 } },
      children: [testActor(system, j, 'sick', { health: () => ({ status: healthy ? 'ok' : 'down' }) })],
    });
    await sup.start();
    healthy = false;
    const transitions: string[] = [];
    system.events.on<{ to: string }>('health.changed', (e) => void transitions.push(e.payload.to));
    await sup.checkHealth();
    await sup.checkHealth();
    expect(sup.statuses()[0]!.health).toBe('critical');
    const back = restarted(system, 'sick');
    await sup.checkHealth();
    healthy = true;
    await back;
    expect(j.incarnations('sick')).toBe(2);
    expect(sup.statuses()[0]!.health).toBe('healthy');
    expect(transitions).toEqual(['degraded', 'critical', 'failed']);
  });

  it('lets operators stop, start and restart a component by name', async () => {
    system = makeSystem();
    const j = new Journal();
    sup = makeSupervisor(system, { name: 'root', strategy: 'one_for_one', children: [testActor(system, j, 'a'), testActor(system, j, 'b')] });
    await sup.start();
    await sup.stopChild('b');
    expect(sup.statuses()[1]).toMatchObject({ name: 'b', state: 'stopped' });
    await expect(system.ref('test.b').ask('echo', 1)).rejects.toMatchObject({ code: 'ACTOR_NOT_FOUND' });
    await sup.startChild('b');
    expect(await system.ref('test.b').ask('echo', 1)).toBe(1);
    await sup.restartChild('a');
    expect(await system.ref('test.a').ask('whoami')).toBe(2);
    await expect(sup.restartChild('nope')).rejects.toMatchObject({ code: 'SUP_CHILD_NOT_FOUND' });
  });

  it('brings back an actor killed while messages are flowing; every ask resolves or fails with a typed error', async () => {
    system = makeSystem();
    const j = new Journal();
    sup = makeSupervisor(system, {
      name: 'root',
      strategy: 'one_for_one',
      intensity: ROOMY,
      backoff: NO_BACKOFF,
      children: [testActor(system, j, 'target'), testActor(system, j, 'sibling')],
    });
    await sup.start();
    const ref = system.ref('test.target');
    const outcomes: string[] = [];
    const asks: Promise<void>[] = [];
    for (let i = 0; i < 500; i++) {
      asks.push(
        ref.ask('echo', i, { timeoutMs: 5_000 }).then(
          (v) => void outcomes.push(v === i ? 'ok' : 'wrong'),
          (e: { code?: string }) => void outcomes.push(e.code ?? 'untyped'),
        ),
      );
      if (i === 250) {
        const back = restarted(system, 'target');
        sup.killChild('target');
        await back;
      }
    }
    await Promise.all(asks);
    expect(outcomes).toHaveLength(500);
    expect(outcomes.filter((o) => o !== 'ok' && o !== 'ACTOR_CRASHED')).toEqual([]);
    expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThan(250);
    expect(await ref.ask('whoami')).toBe(2);
    expect(await system.ref('test.sibling').ask('whoami')).toBe(1);
  });
});

/** Lets queued microtasks run until the supervisor has armed its backoff timer. */
async function waitForTimers(clock: ManualClock, count: number): Promise<void> {
  for (let i = 0; i < 1_000 && clock.pendingTimers() < count; i++) await new Promise((r) => setImmediate(r));
  expect(clock.pendingTimers()).toBeGreaterThanOrEqual(count);
}

describe('supervisor with children added at run time', () => {
  let system: ActorSystem;
  let sup: Supervisor;
  afterEach(async () => {
    await sup?.stop();
    await system?.shutdown();
  });

  it('starts an added child at once, supervises it like the others, and removes it on request', async () => {
    system = makeSystem();
    const j = new Journal();
    sup = makeSupervisor(system, { name: 'ds', strategy: 'one_for_one', backoff: NO_BACKOFF, intensity: ROOMY, children: [testActor(system, j, 'a')] });
    await sup.start();
    await sup.addChild(testActor(system, j, 'dyn'));
    expect(await system.ref('test.dyn').ask('echo', 5)).toBe(5);
    const back = restarted(system, 'dyn');
    sup.killChild('dyn');
    await back;
    expect(await system.ref('test.dyn').ask('whoami')).toBe(2);
    await expect(sup.addChild(testActor(system, j, 'dyn'))).rejects.toMatchObject({ code: 'ACTOR_NAME_TAKEN' });
    await sup.removeChild('dyn');
    expect(sup.statuses().map((s) => s.name)).toEqual(['a']);
    await expect(system.ref('test.dyn').ask('echo', 1)).rejects.toMatchObject({ code: 'ACTOR_NOT_FOUND' });
  });

  it('keeps children added before the first start, after the declared ones', async () => {
    system = makeSystem();
    const j = new Journal();
    sup = makeSupervisor(system, { name: 'ds', strategy: 'one_for_one', children: [testActor(system, j, 'a')] });
    await sup.addChild(testActor(system, j, 'early'));
    await sup.start();
    expect(j.started).toEqual(['a', 'early']);
  });

  it('refuses messages at once while a fail-fast actor is down, instead of queueing them', async () => {
    system = makeSystem();
    const cell = await system.start('ff', () => ({ receive: () => 'up' }), { downError: 'DS_UNAVAILABLE' });
    cell.kill();
    await expect(system.ref('ff').ask('q')).rejects.toMatchObject({ code: 'DS_UNAVAILABLE' });
    await cell.start();
    expect(await system.ref('ff').ask('q')).toBe('up');
  });
});
