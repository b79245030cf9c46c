/**
 * The nemesis: one fault at a time, chosen from a seeded random schedule (the same seed gives
 * the same sequence of choices; the first round is each kind once), each healed before the
 * next, every one logged with its times:
 * - kill-actor: `POST /v1/admin/chaos/kill/<name>` on a node (what `mobo chaos:kill` does);
 * - kill-node: kill -9 a node's process, then boot it again (same id, data dir, port);
 * - pause-node: SIGSTOP a node, SIGCONT it later;
 * - kill-nats: kill -9 one server of the run's NATS cluster, then start it again.
 * One fault at a time keeps two of three nodes and two of three NATS servers up: the cluster
 * keeps its JetStream quorum, and the run measures recovery rather than a full outage.
 */
import type { ClusterNodeProcess, HaproxyCluster } from '../cluster-haproxy.js';
import type { NemesisAction, NemesisEvent } from './history.js';
import type { NatsCluster } from './nats-cluster.js';
import { adminCall } from './setup.js';
import { seededRandom } from '../../tools/index.js';

/** Actors the nemesis kills by name (`mobo component:list`): the source's connection actor, the edge's slots, auth. */
export const KILLABLE_ACTORS = ['chaos.pg', 'rest', 'realtime', 'auth', 'http'] as const;

export interface NemesisOptions {
  seed: number;
  /** How often each fault is chosen, relative to the others. */
  weights: Record<NemesisAction, number>;
  /** Quiet time between one fault healing and the next, drawn in [min, max]. */
  gapMs: [number, number];
  /** How long a pause, a down NATS server or a dead node (before its restart) lasts, drawn in [min, max]. */
  outageMs: [number, number];
  now: () => number;
  onEvent?: (e: NemesisEvent) => void;
}

/** Node kills weigh most: the benchmark asks ≥ 50 in 10 minutes (about one fault per 5 s here). */
export const DEFAULT_WEIGHTS: Record<NemesisAction, number> = { 'kill-node': 6, 'kill-actor': 2, 'pause-node': 2, 'kill-nats': 1 };


export interface Nemesis {
  events: NemesisEvent[];
  /** Lets the fault in progress heal, then resolves. */
  stop(): Promise<void>;
}

export function startNemesis(lb: HaproxyCluster, nats: NatsCluster, opts: NemesisOptions): Nemesis {
  const random = seededRandom(opts.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const between = ([min, max]: [number, number]): number => Math.round(min + random() * (max - min));
  const actions = Object.entries(opts.weights).filter(([, w]) => w > 0) as Array<[NemesisAction, number]>;
  const total = actions.reduce((n, [, w]) => n + w, 0);
  // The first round is every kind once, in a seeded order, so even a short run meets each fault.
  const firstRound = actions.map(([a]) => a);
  for (let i = firstRound.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [firstRound[i], firstRound[j]] = [firstRound[j]!, firstRound[i]!];
  }
  let natsHealthy = true;
  const choose = (): NemesisAction => {
    const action = pickAction();
    return action === 'kill-nats' && !natsHealthy ? 'kill-node' : action;
  };
  const pickAction = (): NemesisAction => {
    const next = firstRound.shift();
    if (next) return next;
    let x = random() * total;
    for (const [action, w] of actions) if ((x -= w) < 0) return action;
    return actions[actions.length - 1]![0];
  };
  const events: NemesisEvent[] = [];
  let running = true;
  let wake: () => void = () => undefined;
  /** A timed wait the stop can cut short (the fault's own duration, or the quiet gap). */
  const hold = (ms: number): Promise<void> =>
    new Promise((r) => {
      const timer = setTimeout(r, ms);
      wake = () => {
        clearTimeout(timer);
        r();
      };
    });

  const inject = async (action: NemesisAction): Promise<NemesisEvent> => {
    const node: ClusterNodeProcess = pick(lb.nodes);
    const start = opts.now();
    const event = (target: string, extra: Partial<NemesisEvent> = {}): NemesisEvent => ({ action, target, start, end: opts.now(), ...extra });
    switch (action) {
      case 'kill-actor': {
        const actor = pick(KILLABLE_ACTORS);
        const error = await adminCall(node, 'POST', `/v1/admin/chaos/kill/${actor}`).then(
          () => undefined,
          (err: Error) => err.message,
        );
        return event(`${node.id}/${actor}`, error ? { error } : {});
      }
      case 'kill-node': {
        node.proc.kill('SIGKILL');
        await node.exited;
        await hold(between(opts.outageMs));
        const restarted = opts.now();
        const error = await lb.restart(node).then(
          () => undefined,
          (err: Error) => err.message,
        );
        return event(node.id, { restartMs: opts.now() - restarted, ...(error ? { error } : {}) });
      }
      case 'pause-node': {
        node.proc.kill('SIGSTOP');
        await hold(between(opts.outageMs));
        node.proc.kill('SIGCONT');
        return event(node.id);
      }
      case 'kill-nats': {
        const server = pick(nats.servers).name;
        await nats.kill(server);
        await hold(between(opts.outageMs));
        const restarted = opts.now();
        const error = await nats.restart(server).then(
          () => undefined,
          (err: Error) => err.message,
        );
        return event(server, { restartMs: opts.now() - restarted, ...(error ? { error } : {}) });
      }
    }
  };

  const loop = (async () => {
    while (running) {
      await hold(between(opts.gapMs));
      if (!running) break;
      const e = await inject(choose());
      events.push(e);
      opts.onEvent?.(e);
      // A node that did not come back would leave the rest of the run on two: stop faulting, the checker says why.
      if (e.error && e.action === 'kill-node') break;
      // A NATS server whose JetStream did not catch up (seen: a stream replica "not current" for
      // minutes) must not be followed by another NATS kill, which would take that stream's quorum:
      // the run goes on with the other faults, and the checker names this one.
      if (e.error && e.action === 'kill-nats') natsHealthy = false;
    }
  })();

  return {
    events,
    async stop() {
      running = false;
      wake();
      await loop;
    },
  };
}
