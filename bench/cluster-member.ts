/**
 * A bare cluster member process, for the cluster tests and the failover benchmark: it joins
 * the membership of MOBO_CLUSTER as MOBO_NODE and, when MOBO_SINGLETON names one, contends
 * for that singleton and "runs" it (a tick every MOBO_TICK_MS while its lease is valid).
 * Every event is one JSON line on stdout, stamped with the machine's monotonic clock in ms
 * (process.hrtime: the same clock in every process here, and it keeps counting through a
 * SIGSTOP), so a test can order what several processes did.
 *
 *   node dist/bench/cluster-member.js   (configured by environment, see below)
 */
import { Membership } from '../cluster/membership.js';
import { SingletonLease } from '../cluster/singleton.js';

const env = process.env;
const servers = env['MOBO_NATS'] ?? '127.0.0.1:4222';
const clusterId = env['MOBO_CLUSTER'] ?? 'bench';
const nodeId = env['MOBO_NODE'] ?? `member-${process.pid}`;
const num = (name: string, fallback: number): number => (env[name] ? Number(env[name]) : fallback);

const stamp = (): number => Number(process.hrtime.bigint()) / 1e6;
const say = (ev: string, fields: Record<string, unknown> = {}): void => void process.stdout.write(JSON.stringify({ ev, node: nodeId, t: stamp(), ...fields }) + '\n');

let membership: Membership | undefined;
let stopping = false;
// Handlers first: a SIGTERM during the join still leaves cleanly.
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  clearInterval(ticker);
  await lease?.close();
  await membership?.leave();
  say('left');
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

membership = await Membership.join({
  servers,
  clusterId,
  nodeId,
  heartbeatMs: num('MOBO_HEARTBEAT_MS', 200),
  suspectMs: num('MOBO_SUSPECT_MS', 600),
  downMs: num('MOBO_DOWN_MS', 1_200),
  meta: { pid: String(process.pid) },
});
membership.onChange((e) => say('member', { member: e.node, from: e.from ?? null, to: e.to }));
for (const m of membership.members()) say('member', { member: m.node, from: null, to: m.state });
say('ready', { incarnation: membership.incarnation, members: membership.members().map((m) => `${m.node}:${m.state}`) });

let lease: SingletonLease | undefined;
let ticker: NodeJS.Timeout | undefined;
const singleton = env['MOBO_SINGLETON'];
if (singleton) {
  lease = await SingletonLease.open({
    servers,
    clusterId,
    nodeId,
    name: singleton,
    leaseMs: num('MOBO_LEASE_MS', 1_000),
    onAcquired(term) {
      say('acquired', { term });
      clearInterval(ticker);
      ticker = setInterval(() => {
        // The stamp is taken before the check: a tick stamped at t happened while the lease was valid at t.
        const t = stamp();
        if (lease?.valid()) process.stdout.write(JSON.stringify({ ev: 'tick', node: nodeId, t, term }) + '\n');
      }, num('MOBO_TICK_MS', 20));
    },
    onLost(term, why) {
      clearInterval(ticker);
      say('lost', { term, why });
    },
  });
}

