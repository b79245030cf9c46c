import type { MoboConfig } from '../config/schema.js';
import type { ChildSpec } from '../supervisors/child.js';
import { Supervisor, type SupervisorDeps, type SupervisorOptions } from '../supervisors/supervisor.js';
import { GROUP_ORDER, type Board, type ComponentSlot, type TreeControl } from './board.js';
import { scopedTree } from './tree-scope.js';

export const ROOT_NAME = 'mobo';

/**
 * Lays the component slots out as the supervision tree:
 *
 *   mobo (rest_for_one) ── kernel · security · data · edge · ops   (one_for_one each)
 *
 * Groups start in that order and a group restart takes every later group with it
 * (an edge that outlived its kernel would serve stale wiring). Empty groups are left out.
 */
export function buildMotherboard(
  board: Board,
  slots: readonly ComponentSlot[],
  config: Readonly<MoboConfig>,
  deps: SupervisorDeps,
  /** Components given the whole tree: the operator console (the control actor). */
  operators: readonly string[] = [],
): Supervisor {
  const policy = supervisionPolicy(config);
  const boardFor = (slot: ComponentSlot): Board => {
    if (operators.includes(slot.name)) return board;
    const supervisors = new Set([slot.group, ...slots.filter((s) => s.group === slot.group && 'supervises' in s).map((s) => s.name)]);
    return withTree(board, scopedTree(() => root, { component: slot.name, supervisors }));
  };
  const groups: ChildSpec[] = GROUP_ORDER.filter((group) => slots.some((s) => s.group === group)).map((group) => ({
    name: group,
    shutdownMs: 30_000,
    create: () =>
      new Supervisor(
        { ...policy, name: group, strategy: 'one_for_one', children: slots.filter((s) => s.group === group).map((s) => componentSpec(boardFor(s), s, deps, policy)) },
        deps,
      ),
  }));
  const root = new Supervisor({ ...policy, name: ROOT_NAME, strategy: 'rest_for_one', children: groups }, deps);
  return root;
}

function componentSpec(board: Board, slot: ComponentSlot, deps: SupervisorDeps, policy: Policy): ChildSpec {
  const spec: ChildSpec = {
    name: slot.name,
    dependsOn: slot.dependsOn ?? [],
    create:
      'supervises' in slot
        ? () => new Supervisor({ ...policy, ...slot.supervises, name: slot.name, children: [] }, deps)
        : () => board.system.spawn(board.address(slot.name), () => slot.behavior(board), slot.mailbox ? { mailbox: slot.mailbox } : {}),
  };
  if (slot.restart) spec.restart = slot.restart;
  if (slot.shutdownMs) spec.shutdownMs = slot.shutdownMs;
  return spec;
}

/** The same board with another tree handle (everything else inherited, whatever the Board holds). */
function withTree(board: Board, tree: TreeControl): Board {
  return Object.create(board, { tree: { value: tree, enumerable: true } }) as Board;
}

type Policy = Omit<SupervisorOptions, 'name' | 'strategy' | 'children'>;

function supervisionPolicy(config: Readonly<MoboConfig>): Policy {
  const s = config.supervision;
  return {
    intensity: { maxRestarts: s.maxRestarts, periodMs: s.periodMs },
    backoff: { initialMs: s.backoffInitialMs, maxMs: s.backoffMaxMs },
    health: { intervalMs: config.health.intervalMs, timeoutMs: config.health.timeoutMs, thresholds: config.health.thresholds },
  };
}
