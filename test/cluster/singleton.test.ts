import { afterEach, describe, expect, it } from 'vitest';
import { clusterId, dropClusterBuckets, spawnMember, stopMembers, type MemberEvent, type MemberProcess } from '../support/members.js';

const LEASE = { MOBO_SINGLETON: 'scheduler', MOBO_LEASE_MS: '800', MOBO_TICK_MS: '10' };

/** Every tick of every process in time order: terms must never go back (no two copies acting at once). */
function assertOneCopyAtATime(members: readonly MemberProcess[]): MemberEvent[] {
  const ticks = members.flatMap((m) => m.events.filter((e) => e.ev === 'tick')).sort((a, b) => a.t - b.t);
  for (let i = 1; i < ticks.length; i++) {
    const [prev, cur] = [ticks[i - 1]!, ticks[i]!];
    if ((cur['term'] as number) < (prev['term'] as number)) {
      throw new Error(`two copies: ${cur.node} ticked with term ${String(cur['term'])} at ${cur.t} after ${prev.node} ticked with term ${String(prev['term'])} at ${prev.t}`);
    }
    if (cur['term'] === prev['term']) expect(cur.node).toBe(prev.node);
  }
  return ticks;
}

describe('cluster singleton (lease with a fencing term), node processes', () => {
  let members: MemberProcess[] = [];
  let cluster = '';
  afterEach(async () => {
    await stopMembers(members);
    members = [];
    await dropClusterBuckets(cluster);
  });

  /** Waits until one of `among` has acquired the singleton. */
  const anyAcquired = (among: readonly MemberProcess[], message: string): Promise<unknown> =>
    Promise.any(among.map((m) => m.next((e) => e.ev === 'acquired', message))).catch((err: AggregateError) => {
      throw new Error(err.errors.map(String).join('\n'));
    });

  const holder = (): MemberProcess | undefined => {
    let best: { m: MemberProcess; term: number } | undefined;
    for (const m of members) {
      for (const e of m.events) {
        if (e.ev === 'acquired' && (!best || (e['term'] as number) > best.term)) best = { m, term: e['term'] as number };
      }
    }
    return best?.m;
  };

  it('fails over after kill -9 of the holder, under a higher term', async () => {
    cluster = clusterId('single');
    members = ['s-1', 's-2', 's-3'].map((n) => spawnMember(cluster, n, LEASE));
    const first = await anyAcquired(members, 'someone holds the singleton').then(() => holder()!);
    const acquired = await first.next((e) => e.ev === 'acquired', 'acquired');
    await first.next((e) => e.ev === 'tick', 'first holder ticks');
    first.signal('SIGKILL');
    await first.exited;
    const rest = members.filter((m) => m !== first);
    const next = await anyAcquired(rest, 'another node takes over').then(() => holder()!);
    expect(next).not.toBe(first);
    const taken = await next.next((e) => e.ev === 'acquired', 'acquired');
    expect(taken['term'] as number).toBeGreaterThan(acquired['term'] as number);
    await next.next((e) => e.ev === 'tick' && e['term'] === taken['term'], 'new holder ticks');
    // Only one of the two survivors took it.
    expect(rest.filter((m) => m.events.some((e) => e.ev === 'acquired')).length).toBe(1);
    assertOneCopyAtATime(members);
  }, 120_000);

  it('never runs two copies across a SIGSTOP of the holder and its SIGCONT', async () => {
    cluster = clusterId('pause');
    members = ['p-1', 'p-2'].map((n) => spawnMember(cluster, n, LEASE));
    await anyAcquired(members, 'someone holds the singleton');
    const paused = holder()!;
    const other = members.find((m) => m !== paused)!;
    await paused.next((e) => e.ev === 'tick', 'holder ticks');
    paused.signal('SIGSTOP');
    const taken = await other.next((e) => e.ev === 'acquired', 'the other node takes over while the holder is paused');
    await other.next((e) => e.ev === 'tick' && e.t > taken.t, 'the new holder ticks');
    paused.signal('SIGCONT');
    // The resumed node finds its lease gone and stops its copy; it does not tick again under the old term.
    const lost = await paused.next((e) => e.ev === 'lost', 'the resumed node stops its copy');
    expect(['expired', 'taken']).toContain(lost['why']);
    await other.next((e) => e.ev === 'tick' && e.t > lost.t, 'the new holder keeps ticking');
    const ticks = assertOneCopyAtATime(members);
    expect(ticks.some((e) => e.node === paused.node)).toBe(true);
    expect(ticks.filter((e) => e.node === paused.node && e.t > taken.t)).toEqual([]);
  }, 120_000);

  it('hands over at once on a graceful stop', async () => {
    cluster = clusterId('handover');
    members = ['h-1', 'h-2'].map((n) => spawnMember(cluster, n, { ...LEASE, MOBO_LEASE_MS: '60000' }));
    await anyAcquired(members, 'someone holds the singleton');
    const first = holder()!;
    const other = members.find((m) => m !== first)!;
    first.signal('SIGTERM');
    expect(await first.exited).toBe(0);
    // With a one-minute lease, only a release lets the other take it within the wait.
    const taken = await other.next((e) => e.ev === 'acquired', 'the other takes over after the release', 20_000);
    expect(taken['term']).toBe(2);
    expect(first.events.find((e) => e.ev === 'lost')?.['why']).toBe('released');
    assertOneCopyAtATime(members);
  }, 120_000);
});
