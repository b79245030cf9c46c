import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../runtime/clock.js';
import type { ExitReason, HealthReport, LifecycleState } from '../../runtime/lifecycle.js';
import type { ActorSystem } from '../../runtime/system.js';
import type { Child } from '../../supervisors/child.js';
import type { Supervisor } from '../../supervisors/supervisor.js';
import { Journal, makeSupervisor, makeSystem, testActor } from '../support/actors.js';

/** A child that ignores the time it is given to stop: its stop() never ends; only kill() does. */
class StubbornChild implements Child {
  state: LifecycleState = 'idle';
  kills: string[] = [];
  stopAsked: number[] = [];
  private readonly listeners = new Set<(r: ExitReason) => void>();
  async start(): Promise<void> {
    this.state = 'running';
  }
  stop(timeoutMs: number): Promise<void> {
    this.stopAsked.push(timeoutMs);
    this.state = 'stopping';
    return new Promise<void>(() => undefined);
  }
  kill(reason = 'killed'): void {
    this.kills.push(reason);
    this.state = 'crashed';
    for (const l of this.listeners) l({ kind: 'killed', error: new Error(reason) });
  }
  async health(): Promise<HealthReport> {
    return { status: 'ok' };
  }
  onExit(listener: (r: ExitReason) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Lets queued promise callbacks run (no time passes on the manual clock). */
async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

describe('supervisor stop honours each child shutdownMs, then kills (driven by the manual clock)', () => {
  let system: ActorSystem;
  let sup: Supervisor;
  afterEach(async () => {
    await system?.shutdown();
  });

  it('kills a child that ignores stop exactly when its shutdownMs has passed, then stops the rest', async () => {
    const clock = new ManualClock(1_000);
    system = makeSystem({ clock });
    const j = new Journal();
    const stubborn = new StubbornChild();
    sup = makeSupervisor(system, {
      name: 'root',
      strategy: 'one_for_one',
      children: [testActor(system, j, 'first'), { name: 'stubborn', shutdownMs: 2_000, create: () => stubborn }],
    });
    await sup.start();
    const killed = system.events.once<{ name: string; shutdownMs: number }>('component.killed');
    let done = false;
    const stopping = sup.stop().then(() => (done = true));

    await turns();
    expect(stubborn.stopAsked).toEqual([2_000]);
    clock.advance(1_999);
    await turns();
    expect(stubborn.kills).toEqual([]);
    expect(done).toBe(false);
    expect(j.stopped).toEqual([]);

    clock.advance(1);
    await stopping;
    expect(stubborn.kills).toEqual(['did not stop within 2000 ms']);
    expect((await killed).payload).toMatchObject({ name: 'stubborn', shutdownMs: 2_000 });
    // Reverse order: the stubborn child (started last) first, then the one before it.
    expect(j.stopped).toEqual(['first']);
    expect(sup.state).toBe('stopped');
  });

  it('kills an actor whose stop hook hangs after its shutdownMs on the system clock, failing what it held', async () => {
    const clock = new ManualClock();
    system = makeSystem({ clock });
    const j = new Journal();
    sup = makeSupervisor(system, {
      name: 'root',
      strategy: 'one_for_one',
      children: [testActor(system, j, 'hang', { hangOnStop: true, shutdownMs: 300 })],
    });
    await sup.start();
    let done = false;
    const stopping = sup.stop().then(() => (done = true));
    await turns();
    expect(j.stopped).toEqual(['hang']);
    clock.advance(299);
    await turns();
    expect(done).toBe(false);
    clock.advance(1);
    await stopping;
    expect(sup.statuses()[0]).toMatchObject({ name: 'hang', state: 'stopped' });
    expect(system.cell('test.hang')?.state).toBe('stopped');
  });

  it('a supervisor that is itself a child gets its shutdownMs for the whole subtree', async () => {
    const clock = new ManualClock();
    system = makeSystem({ clock });
    const j = new Journal();
    const stubborn = new StubbornChild();
    const inner = (): Supervisor =>
      makeSupervisor(system, { name: 'inner', strategy: 'one_for_one', children: [testActor(system, j, 'calm'), { name: 'deep', shutdownMs: 60_000, create: () => stubborn }] });
    sup = makeSupervisor(system, { name: 'root', strategy: 'one_for_one', children: [{ name: 'inner', shutdownMs: 500, create: inner }] });
    await sup.start();
    const stopping = sup.stop();
    await turns();
    clock.advance(500);
    await stopping;
    // The parent's 500 ms ran out long before the inner child's own 60 s: the subtree was killed.
    expect(stubborn.kills.length).toBeGreaterThanOrEqual(1);
    expect(sup.state).toBe('stopped');
  });
});
