/**
 * The cluster in the operator API (what `mobo cluster:*` and MagUI use):
 *
 *   GET  /v1/admin/cluster         this node's view: mode, cluster id, own state, counts, singletons
 *   GET  /v1/admin/cluster/nodes   every member with its state, as this node's detector sees it
 *   POST /v1/admin/cluster/drain   stop taking new work, hand singletons over, wait for in-flight, leave
 *   POST /v1/admin/cluster/leave   leave now (hand singletons over, then shut down)
 */
import { z } from 'zod';
import type { ClusterStatus, DrainReport, MemberView, NodeState } from '../cluster/index.js';
import { MoboError } from '../runtime/index.js';
import type { EdgeContext } from './edge.js';
import { parseJsonBody } from './envelope.js';
import type { HttpRequest } from './http-types.js';
import type { Traffic } from './traffic.js';

const drainInput = z
  .object({
    /** How long to keep serving once health says draining (a load balancer's check interval × its fall count). */
    graceMs: z.number().int().min(0).max(600_000).optional(),
    /** The longest wait for in-flight requests. */
    timeoutMs: z.number().int().min(0).max(3_600_000).optional(),
    /** Shut the node down once drained (default true). */
    shutdown: z.boolean().default(true),
  })
  .strict();

type Board = EdgeContext['board'];

export function mountClusterAdminRoutes({ router, board, admin, traffic }: EdgeContext): void {
  router.get('/v1/admin/cluster', admin(async () => clusterStatus(board, traffic)));
  router.get('/v1/admin/cluster/nodes', admin(async () => board.cluster.members().map(nodeView)));
  router.post(
    '/v1/admin/cluster/drain',
    admin(async (req) => {
      const input = parseDrain(req);
      const { cluster } = board.configStore.current();
      const report = await drain(board, traffic, { graceMs: input.graceMs ?? cluster.drainGraceMs, timeoutMs: input.timeoutMs ?? cluster.drainTimeoutMs });
      if (input.shutdown) setImmediate(() => board.requestShutdown('drained (cluster:drain)'));
      return { ...report, shutdown: input.shutdown } satisfies DrainReport;
    }),
  );
  router.post(
    '/v1/admin/cluster/leave',
    admin(async () => {
      const report = await drain(board, traffic, { graceMs: 0, timeoutMs: 0 });
      setImmediate(() => board.requestShutdown('left the cluster (cluster:leave)'));
      return { ...report, shutdown: true } satisfies DrainReport;
    }),
  );
}

function parseDrain(req: HttpRequest): z.infer<typeof drainInput> {
  const parsed = drainInput.safeParse(parseJsonBody(req.body) ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join('.') || 'body';
  throw new MoboError('MESSAGE_INVALID', `cluster:drain: ${field}: ${issue.message}`, { details: { field } });
}

function nodeView(m: MemberView): Record<string, unknown> {
  return { node: m.node, state: m.state, incarnation: m.incarnation, silentMs: Math.round(m.silentMs), ...m.meta };
}

function clusterStatus(board: Board, traffic: Traffic): ClusterStatus {
  const { cluster } = board;
  const members: Partial<Record<NodeState, number>> = {};
  for (const m of cluster.members()) members[m.state] = (members[m.state] ?? 0) + 1;
  const own = cluster.members().find((m) => m.node === cluster.nodeId);
  return {
    mode: cluster.mode,
    cluster: cluster.clusterId,
    node: cluster.nodeId,
    incarnation: cluster.incarnation,
    state: own?.state ?? 'down',
    traffic: { state: traffic.state, inFlight: traffic.inFlight },
    members,
    singletons: (cluster.placer?.held() ?? []).map((s) => ({ name: s.name, runsHere: s.term !== undefined, term: s.term ?? null })),
  };
}

/**
 * The drain, in order: health says draining and the others stop placing work here; this
 * node's singletons stop and release their leases (another node takes each at once); after
 * the grace (the load balancer's time to notice) new requests are refused with a retryable
 * 503; in-flight requests finish (or the timeout passes); then the node leaves.
 */
async function drain(board: Board, traffic: Traffic, opts: { graceMs: number; timeoutMs: number }): Promise<Omit<DrainReport, 'shutdown'>> {
  const { cluster } = board;
  const handedOver = (cluster.placer?.held() ?? []).filter((s) => s.term !== undefined).map((s) => s.name);
  traffic.advance('draining');
  await cluster.leaving();
  await cluster.placer?.handOver();
  if (opts.graceMs > 0) await new Promise((r) => setTimeout(r, opts.graceMs));
  traffic.advance('refusing');
  const started = performance.now();
  await traffic.settled(opts.timeoutMs);
  const waitedMs = Math.round(performance.now() - started);
  const inFlightLeft = traffic.inFlight;
  await cluster.leave();
  traffic.advance('drained');
  board.log.info('drained', { handedOver, inFlightLeft, waitedMs });
  return { node: board.nodeId, handedOver, inFlightLeft, waitedMs };
}
