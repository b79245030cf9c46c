/**
 * Singleton failover after kill -9: three member processes contend for one singleton
 * (lease 1 s); the holder is killed with SIGKILL, and the time from the kill to the first
 * tick of the new holder (detection by lease expiry + start) is measured; the killed node
 * is started again and the next kill waits until it has joined (so each failover has two
 * contenders and no process boot competing for the CPU), and so on, KILLS times.
 * Goal: p99 < 2 s over 20 kills.
 *
 *   npm run bench -- --only cluster-failover
 */
import { clusterId, dropClusterBuckets, monotonicMs, spawnMember, stopMembers, type MemberProcess } from './members.js';
import { describeLoad } from './machine.js';
import { fmtMs, summarize } from './stats.js';

const KILLS = Number(process.env['BENCH_KILLS'] ?? 20);
const NATS = process.env['NATS_URL'] ?? '127.0.0.1:4222';
const ENV = { MOBO_SINGLETON: 'bench', MOBO_LEASE_MS: '1000', MOBO_TICK_MS: '5' };

export async function run(): Promise<string[]> {
  const cluster = clusterId('failover');
  const members: MemberProcess[] = ['f-1', 'f-2', 'f-3'].map((n) => spawnMember(NATS, cluster, n, ENV));
  const samples: number[] = [];
  const firstTickAfter = (after: number): { m: MemberProcess; t: number; term: number } | undefined => {
    for (const m of members) {
      const e = m.events.find((x) => x.ev === 'tick' && (x['term'] as number) > after);
      if (e) return { m, t: e.t, term: e['term'] as number };
    }
    return undefined;
  };
  const waitTick = async (after: number): Promise<{ m: MemberProcess; t: number; term: number }> => {
    const live = members.filter((m) => m.proc.exitCode === null && m.proc.signalCode === null);
    await Promise.any(live.map((m) => m.next((e) => e.ev === 'tick' && (e['term'] as number) > after, `a tick after term ${after}`, 60_000))).catch((err: AggregateError) => {
      throw new Error(err.errors.map(String).join('\n'));
    });
    return firstTickAfter(after)!;
  };
  try {
    let holder = await waitTick(0);
    for (let i = 0; i < KILLS; i++) {
      const killedAt = monotonicMs();
      holder.m.signal('SIGKILL');
      await holder.m.exited;
      const next = await waitTick(holder.term);
      samples.push(next.t - killedAt);
      const restarted = spawnMember(NATS, cluster, holder.m.node, ENV);
      members[members.indexOf(holder.m)] = restarted;
      await restarted.next((e) => e.ev === 'ready', `${restarted.node} rejoins`, 60_000);
      holder = next;
    }
  } finally {
    await stopMembers(members);
    await dropClusterBuckets(NATS, cluster);
  }
  const s = summarize(samples);
  return [
    '',
    `## Singleton failover after kill -9 (3 member processes, lease 1 s), ${KILLS} kills`,
    `load: ${describeLoad()}`,
    `kill → first tick of the new holder: p50 ${fmtMs(s.p50)}  p99 ${fmtMs(s.p99)}  max ${fmtMs(s.max)}   goal p99 < 2 s: ${s.p99 < 2_000 ? 'PASS' : 'MISS'}`,
  ];
}
