import type { ClusterStatus, DrainReport } from '../../cluster/index.js';
import { flagString, usage } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { table } from '../output.js';
import { client } from './node.js';

interface NodeRow {
  node: string;
  state: string;
  incarnation: string;
  silentMs: number;
  http?: string;
  pid?: string;
}

export const clusterStatusCommand: Command = {
  name: 'cluster:status',
  summary: "This node's view of its cluster: mode, own state, members by state, singletons",
  usage: 'mobo cluster:status [--config FILE] [--json]',
  flags: {},
  async run(args, out) {
    const s = await client(args).get<ClusterStatus>('/v1/admin/cluster');
    const counts = Object.entries(s.members).map(([state, n]) => `${n} ${state}`).join(', ');
    out.result(s, () =>
      [
        `${s.node} · ${s.mode} · cluster ${s.cluster} · ${s.state} · traffic ${s.traffic.state} (${s.traffic.inFlight} in flight)`,
        `members: ${counts}`,
        ...(s.singletons.length ? [table([['SINGLETON', 'RUNS HERE', 'TERM'], ...s.singletons.map((x) => [x.name, x.runsHere ? 'yes' : 'no', x.term === null ? '-' : String(x.term)])])] : []),
      ].join('\n'),
    );
    return EXIT.OK;
  },
};

export const clusterNodesCommand: Command = {
  name: 'cluster:nodes',
  summary: 'Every node of the cluster with its state (joining, up, suspect, down, leaving)',
  usage: 'mobo cluster:nodes [--config FILE] [--json]',
  flags: {},
  async run(args, out) {
    const nodes = await client(args).get<NodeRow[]>('/v1/admin/cluster/nodes');
    out.result(nodes, () => table([['NODE', 'STATE', 'HTTP', 'PID', 'SILENT'], ...nodes.map((n) => [n.node, n.state, n.http ?? '-', n.pid ?? '-', `${n.silentMs} ms`])]));
    return EXIT.OK;
  },
};

const drainLine = (r: DrainReport): string =>
  `${r.node} drained: handed over ${r.handedOver.length ? r.handedOver.join(', ') : 'no singletons'}; waited ${r.waitedMs} ms for in-flight requests` +
  `${r.inFlightLeft ? ` (${r.inFlightLeft} still running at the timeout)` : ''}; ${r.shutdown ? 'the node is shutting down' : 'the node stays up outside the cluster'}`;

export const clusterDrainCommand: Command = {
  name: 'cluster:drain',
  summary: 'Stop taking new work, hand singletons over, wait for in-flight requests, then leave',
  usage: 'mobo cluster:drain [--grace-ms N] [--timeout-ms N] [--stay] [--config FILE] [--json]',
  details:
    'Health answers 503 "draining" at once (a load balancer takes the node out) and the other nodes stop placing work here; ' +
    'singletons stop here and another node takes each at once; after --grace-ms (default cluster.drainGraceMs) new requests get a retryable 503 NODE_DRAINING; ' +
    'in-flight requests finish (at most --timeout-ms, default cluster.drainTimeoutMs); then the node leaves the cluster and shuts down (--stay keeps the process up).',
  flags: { 'grace-ms': 'string', 'timeout-ms': 'string', stay: 'boolean' },
  async run(args, out) {
    const ms = (name: string): number | undefined => {
      const v = flagString(args, name);
      if (v === undefined) return undefined;
      if (!/^\d+$/.test(v)) throw usage(`--${name} must be a whole number of milliseconds, got "${v}"`, name);
      return Number(v);
    };
    const graceMs = ms('grace-ms');
    const timeoutMs = ms('timeout-ms');
    const body = { ...(graceMs === undefined ? {} : { graceMs }), ...(timeoutMs === undefined ? {} : { timeoutMs }), shutdown: args.flags['stay'] !== true };
    const report = await client(args).post<DrainReport>('/v1/admin/cluster/drain', body);
    out.result(report, () => drainLine(report));
    return EXIT.OK;
  },
};

export const clusterLeaveCommand: Command = {
  name: 'cluster:leave',
  summary: 'Leave the cluster now: hand singletons over, leave the membership, shut down',
  usage: 'mobo cluster:leave [--config FILE] [--json]',
  details: 'No grace and no wait for in-flight requests (cluster:drain is the gentle way).',
  flags: {},
  async run(args, out) {
    const report = await client(args).post<DrainReport>('/v1/admin/cluster/leave');
    out.result(report, () => drainLine(report));
    return EXIT.OK;
  },
};

export const CLUSTER_COMMANDS: readonly Command[] = [clusterStatusCommand, clusterNodesCommand, clusterDrainCommand, clusterLeaveCommand];
