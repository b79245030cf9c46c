import { budgetStats, captureStats } from '../../adapters/index.js';
import { z } from 'zod';
import type { Board, ComponentSlot } from '../board.js';
import type { Run } from './node-memory.js';
import { stateSlot } from './state-actor.js';
import { flatten } from './tree-view.js';
import { type Behavior, dispatch, on } from '../../runtime/index.js';

const component = z.object({ name: z.string().min(1).max(200) });

/**
 * Restarting the control actor, the HTTP listener the request came in through, or their
 * groups, from inside would wait on itself: those run after the reply. (Stopping them is
 * refused at once by the motherboard: the operator channel needs them.)
 */
const SELF_AFFECTING = new Set(['control', 'kernel', 'http', 'edge']);
function selfAffecting(name: string): boolean {
  return SELF_AFFECTING.has(name);
}

function runTreeOp(name: string, action: string, op: () => Promise<void>): Promise<{ name: string; action: string }> | { name: string; action: string } {
  if (!selfAffecting(name)) return op().then(() => ({ name, action }));
  setImmediate(() => void op().catch(() => undefined));
  return { name, action: `${action} (scheduled)` };
}

/** The operator commands, as another component sends them (backup restarting the catalog after a restore). */
export function controlClient(board: Board): { restart(name: string, timeoutMs?: number): Promise<void> } {
  const ref = board.system.ref(board.address(controlSlot.name));
  return {
    restart: async (name, timeoutMs) => void (await ref.ask('component.restart', { name }, timeoutMs === undefined ? {} : { timeoutMs })),
  };
}

/**
 * The node's operator console as an actor, so a CLI or another node reaches it the
 * same way here or across the cluster: status, component start/stop/restart, chaos
 * kill, shutdown.
 */
export const controlSlot: ComponentSlot = {
  name: 'control',
  group: 'kernel',
  dependsOn: ['config'],
  stoppable: false,
  behavior: (board: Board): Behavior => {
    const startedAt = board.system.clock.now();
    const handlers = {
      'node.status': on(z.null().optional(), async () => ({
        node: board.nodeId,
        pid: process.pid,
        mode: board.configStore.current().transport.kind === 'nats' ? 'cluster' : 'embedded',
        uptimeMs: board.system.clock.now() - startedAt,
        rssBytes: process.memoryUsage.rss(),
        components: flatten(board.tree.statuses()),
        // Per database server (host:port): connections in use, idle, waiting, and the budget.
        connections: budgetStats(),
        // Per source whose change feed started: logical replication or triggers (and why), its slot, who runs the reader.
        changes: captureStats(),
        // How the run before this one ended, from the state actor's memory (null if it is down).
        previousRun: await board.system
          .ref(board.address(stateSlot.name))
          .ask<{ previous: Run | null }>('state.history', null, { timeoutMs: 1_000 })
          .then((h) => h.previous, () => null),
      })),
      'component.start': on(component, ({ name }) => runTreeOp(name, 'started', () => board.tree.startChild(name))),
      'component.stop': on(component, ({ name }) => board.tree.stopChild(name).then(() => ({ name, action: 'stopped' }))),
      'component.restart': on(component, ({ name }) => runTreeOp(name, 'restarted', () => board.tree.restartChild(name))),
      'chaos.kill': on(component, ({ name }, _ctx, msg) => {
        board.tree.killChild(name, `chaos kill from ${msg.from ?? 'operator'}`);
        return { name, action: 'killed' };
      }),
      'node.shutdown': on(z.object({ reason: z.string().max(200).optional() }).nullish(), (payload) => {
        board.requestShutdown(payload?.reason ?? 'requested');
        return { node: board.nodeId, action: 'shutting down' };
      }),
    };
    return { receive: (msg, ctx) => dispatch(handlers, msg, ctx) };
  },
};
