import { afterEach, describe, expect, it } from 'vitest';
import { FailureDetector } from '../../cluster/detector.js';
import { Membership } from '../../cluster/membership.js';
import { NATS_URL } from '../support/nats.js';
import { clusterId, dropClusterBuckets, spawnMember, stopMembers, type MemberProcess } from '../support/members.js';

const timeouts = { heartbeatMs: 100, suspectMs: 300, downMs: 600 };

describe('failure detector', () => {
  it('goes joining → up → suspect → down on silence, and back up on a beat', () => {
    const d = new FailureDetector(timeouts);
    expect(d.heard('a', 'joining', 'i1', 0)).toEqual([{ node: 'a', incarnation: 'i1', from: undefined, to: 'joining' }]);
    expect(d.heard('a', 'up', 'i1', 50)).toEqual([{ node: 'a', incarnation: 'i1', from: 'joining', to: 'up' }]);
    expect(d.tick(349)).toEqual([]);
    expect(d.tick(350)).toEqual([{ node: 'a', incarnation: 'i1', from: 'up', to: 'suspect' }]);
    expect(d.live()).toEqual(['a']);
    expect(d.heard('a', 'up', 'i1', 400)).toEqual([{ node: 'a', incarnation: 'i1', from: 'suspect', to: 'up' }]);
    expect(d.tick(1_000)).toEqual([{ node: 'a', incarnation: 'i1', from: 'up', to: 'down' }]);
    expect(d.live()).toEqual([]);
  });

  it('treats a new incarnation of a node as a restart: down, then the new one', () => {
    const d = new FailureDetector(timeouts);
    d.heard('a', 'up', 'i1', 0);
    expect(d.heard('a', 'joining', 'i2', 10)).toEqual([
      { node: 'a', incarnation: 'i1', from: 'up', to: 'down' },
      { node: 'a', incarnation: 'i2', from: undefined, to: 'joining' },
    ]);
  });

  it('stops placing on a leaving node, and a deleted key is down at once', () => {
    const d = new FailureDetector(timeouts);
    d.heard('a', 'up', 'i1', 0);
    d.heard('b', 'up', 'i1', 0);
    expect(d.heard('a', 'leaving', 'i1', 5)).toEqual([{ node: 'a', incarnation: 'i1', from: 'up', to: 'leaving' }]);
    expect(d.live()).toEqual(['b']);
    expect(d.left('a')).toEqual([{ node: 'a', incarnation: 'i1', from: 'leaving', to: 'down' }]);
    expect(d.left('a')).toEqual([]);
  });

  it('refuses timeouts that cannot work', () => {
    expect(() => new FailureDetector({ heartbeatMs: 100, suspectMs: 100, downMs: 600 })).toThrow(/heartbeatMs < suspectMs < downMs/);
    expect(() => new FailureDetector({ heartbeatMs: 0, suspectMs: 10, downMs: 600 })).toThrow(RangeError);
  });
});

describe('membership on NATS, 3 node processes', () => {
  let members: MemberProcess[] = [];
  const clusters: string[] = [];
  const fresh = (prefix: string): string => {
    clusters.push(clusterId(prefix));
    return clusters[clusters.length - 1]!;
  };
  afterEach(async () => {
    await stopMembers(members);
    members = [];
    for (const c of clusters.splice(0)) await dropClusterBuckets(c);
  });

  it('sees all three up, declares a killed one down, a paused one suspect, and a restarted one up again', async () => {
    const cluster = fresh('members');
    members = ['n-1', 'n-2', 'n-3'].map((n) => spawnMember(cluster, n));
    const [a, b, c] = members as [MemberProcess, MemberProcess, MemberProcess];
    for (const m of members) for (const other of members) await m.next((e) => e.ev === 'member' && e['member'] === other.node && e['to'] === 'up', `sees ${other.node} up`);

    c.signal('SIGKILL');
    await c.exited;
    for (const m of [a, b]) await m.next((e) => e.ev === 'member' && e['member'] === 'n-3' && e['to'] === 'down', 'sees n-3 down after kill -9');

    b.signal('SIGSTOP');
    const suspect = await a.next((e) => e.ev === 'member' && e['member'] === 'n-2' && e['to'] === 'suspect', 'suspects paused n-2');
    b.signal('SIGCONT');
    await a.next((e) => e.ev === 'member' && e['member'] === 'n-2' && e['to'] === 'up' && e.t > suspect.t, 'sees n-2 up again after SIGCONT');

    const again = spawnMember(cluster, 'n-3');
    members.push(again);
    await a.next((e) => e.ev === 'member' && e['member'] === 'n-3' && e['to'] === 'up' && e.t > suspect.t, 'sees the restarted n-3 up');
    await again.next((e) => e.ev === 'member' && e['member'] === 'n-1' && e['to'] === 'up', 'the restarted n-3 sees n-1');

    again.signal('SIGTERM');
    expect(await again.exited).toBe(0);
    // A graceful leave deletes its key: down without waiting out the silence.
    await a.next((e) => e.ev === 'member' && e['member'] === 'n-3' && e['to'] === 'leaving', 'sees n-3 leaving');
    await a.next((e) => e.ev === 'member' && e['member'] === 'n-3' && e['to'] === 'down' && e.t > suspect.t, 'sees n-3 down after it left');
  }, 120_000);

  it('keeps clusters sharing one NATS apart, and rejects a bad cluster id', async () => {
    const one = await Membership.join({ servers: NATS_URL, clusterId: fresh('apart'), nodeId: 'same-name', ...timeouts });
    const two = await Membership.join({ servers: NATS_URL, clusterId: fresh('apart'), nodeId: 'other', ...timeouts });
    try {
      expect(one.members().map((m) => m.node)).toEqual(['same-name']);
      expect(two.members().map((m) => m.node)).toEqual(['other']);
      await expect(Membership.join({ servers: NATS_URL, clusterId: 'has.dot "quote"', nodeId: 'x' })).rejects.toThrow(/clusterId must be/);
      await expect(Membership.join({ servers: NATS_URL, clusterId: 'ok', nodeId: 'ünïcode' })).rejects.toThrow(/nodeId must be/);
    } finally {
      await one.leave();
      await two.leave();
    }
  });
});
