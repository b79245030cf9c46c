import { Edge, type EdgeMount } from '../gateway/edge.js';
import { GROUP_ORDER, type ActorSlot, type Board, type ComponentSlot, type SlotPlug, type TreeControl } from './board.js';
import { scopedTree } from './tree-scope.js';
import type { ConfigSection, MoboConfig } from '../config/index.js';
import { type Behavior, MoboError, registerErrors } from '../runtime/index.js';
import { type ChildSpec, Supervisor, type SupervisorDeps, type SupervisorOptions } from '../supervisors/index.js';

export const ROOT_NAME = 'mobo';

/**
 * Lays the component slots out as the supervision tree:
 *
 *   mobo (rest_for_one) ── kernel · security · data · edge · ops   (one_for_one each)
 *
 * Groups start in that order and a group restart takes every later group with it
 * (an edge that outlived its kernel would serve stale wiring). Empty groups are left out.
 * At build the board merges what the components declare: their error codes into the
 * catalogue, and (each time a component starts) its routes and hooks into the edge.
 */
export function buildMotherboard(
  board: Board,
  slots: readonly ComponentSlot[],
  config: Readonly<MoboConfig>,
  deps: SupervisorDeps,
  /** Components given the whole tree: the operator console (the control actor). */
  operators: readonly string[] = [],
): Motherboard {
  checkSlots(slots);
  // Every other component sees the tree through a handle limited to the children it adds (tree-scope.ts).
  const boardFor = (slot: ComponentSlot): Board => {
    if (operators.includes(slot.name)) return board;
    const supervisors = new Set([slot.group, ...slots.filter((s) => s.group === slot.group && 'supervises' in s).map((s) => s.name)]);
    return withTree(board, scopedTree(() => root, { component: slot.name, supervisors }));
  };
  for (const slot of slots) if (slot.errors) registerErrors(slot.name, slot.errors.defs);
  // Route code sees the tree as the edge group's own: it may add children there (MagWS's connector), nothing more.
  const plug: SlotPlug = { edge: new Edge(withTree(board, scopedTree(() => root, { component: 'the edge', supervisors: new Set(['edge']) }))) };
  const policy = supervisionPolicy(config);
  const groups: ChildSpec[] = GROUP_ORDER.filter((group) => slots.some((s) => s.group === group)).map((group) => {
    const members = slots.filter((s) => s.group === group);
    return {
      name: group,
      shutdownMs: 30_000,
      create: () => new Supervisor({ ...policy, name: group, strategy: 'one_for_one', children: members.map((s) => componentSpec(boardFor(s), s, members, plug, deps, policy)) }, deps),
    };
  });
  const root = new Motherboard({ ...policy, name: ROOT_NAME, strategy: 'rest_for_one', children: groups }, deps, plug.edge, unstoppable(slots));
  return root;
}

/** The same board with another tree handle (everything else inherited, whatever the Board holds). */
function withTree(board: Board, tree: TreeControl): Board {
  return Object.create(board, { tree: { value: tree, enumerable: true } }) as Board;
}

/** The config sections the components declare, for `loadConfig({ sections })`. */
export function configSections(slots: readonly ComponentSlot[]): ConfigSection[] {
  return slots.flatMap((s) => (s.config ? [s.config] : []));
}

/**
 * The root supervisor, which also refuses to stop what the operator channel needs
 * (the CLI's `component:start` and `shutdown` must still reach the node afterwards).
 */
export class Motherboard extends Supervisor {
  constructor(
    options: SupervisorOptions,
    deps: SupervisorDeps,
    readonly edge: Edge,
    private readonly needed: ReadonlyMap<string, string>,
  ) {
    super(options, deps);
  }

  override stopChild(name: string): Promise<void> {
    return this.refuseIfNeeded(name) ?? super.stopChild(name);
  }

  override removeChild(name: string): Promise<void> {
    return this.refuseIfNeeded(name) ?? super.removeChild(name);
  }

  private refuseIfNeeded(name: string): Promise<never> | undefined {
    const why = this.needed.get(name);
    if (why === undefined) return undefined;
    return Promise.reject(
      new MoboError('COMPONENT_NOT_STOPPABLE', `${name} cannot be stopped: ${why}. Restart it instead (mobo component:restart ${name}), or shut the node down`, {
        details: { name, stoppable: false },
      }),
    );
  }
}

/** Components that may not be stopped, their groups and the root, each with the reason. */
function unstoppable(slots: readonly ComponentSlot[]): Map<string, string> {
  const needed = new Map<string, string>([[ROOT_NAME, 'it is the whole node']]);
  for (const slot of slots) {
    if (slot.stoppable !== false) continue;
    needed.set(slot.name, 'the operator channel (mobo CLI, operator API) needs it');
    if (!needed.has(slot.group)) needed.set(slot.group, `it holds ${slot.name}, which the operator channel needs`);
  }
  return needed;
}

function checkSlots(slots: readonly ComponentSlot[]): void {
  const seen = new Set<string>();
  for (const slot of slots) {
    if (seen.has(slot.name) || (GROUP_ORDER as readonly string[]).includes(slot.name) || slot.name === ROOT_NAME) {
      throw new MoboError('COMPONENT_INVALID', `Two slots of the board are named "${slot.name}" (or it is a group's name)`, { details: { name: slot.name } });
    }
    seen.add(slot.name);
  }
}

function componentSpec(board: Board, slot: ComponentSlot, siblings: readonly ComponentSlot[], plug: SlotPlug, deps: SupervisorDeps, policy: Policy): ChildSpec {
  const dependsOn = [...(slot.dependsOn ?? [])];
  // The listener binds last: once it answers, every route of its group does.
  if (slot.listener) for (const s of siblings) if (s !== slot && s.routes && !dependsOn.includes(s.name)) dependsOn.push(s.name);
  const spec: ChildSpec = {
    name: slot.name,
    dependsOn,
    create:
      'supervises' in slot
        ? () => new Supervisor({ ...policy, ...slot.supervises, name: slot.name, children: [] }, deps)
        : () => board.system.spawn(board.address(slot.name), () => withRoutes(slot, board, plug), slot.mailbox ? { mailbox: slot.mailbox } : {}),
  };
  if (slot.restart) spec.restart = slot.restart;
  if (slot.placement) spec.placement = slot.placement;
  if (slot.shutdownMs) spec.shutdownMs = slot.shutdownMs;
  return spec;
}

/** The component's behavior, with its routes and hooks mounted on start and detached on stop or crash. */
function withRoutes(slot: ActorSlot, board: Board, plug: SlotPlug): Behavior {
  const inner: Behavior = slot.behavior?.(board, plug) ?? { receive: () => null };
  const routes = slot.routes;
  if (!routes) return inner;
  let mount: EdgeMount | undefined;
  const behavior: Behavior = {
    async start(ctx) {
      await inner.start?.(ctx);
      mount = plug.edge.mount(slot.name, ctx.log);
      await routes(mount.context);
      mount.commit();
    },
    receive: (msg, ctx) => inner.receive(msg, ctx),
    async stop(ctx, reason) {
      await mount?.detach(reason.kind === 'shutdown' || reason.kind === 'normal' ? 'stop' : 'crash');
      await inner.stop?.(ctx, reason);
    },
  };
  if (inner.health) behavior.health = (ctx) => inner.health!(ctx);
  return behavior;
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
