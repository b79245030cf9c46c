import type { Edge, RouteMount } from '../gateway/edge.js';
import type { NodeCluster } from '../cluster/index.js';
import type { ConfigSection, LoadOptions, MoboConfig } from '../config/index.js';
import type { ActorSystem, Behavior, ErrorDef, Logger, MailboxOptions, Protocol } from '../runtime/index.js';
import type { ChildSpec, ChildStatus, IntensityLimit, Placement, RestartType, Strategy } from '../supervisors/index.js';

/** What every component sees of the node it is plugged into: the motherboard's bus. */
export interface Board {
  readonly nodeId: string;
  readonly system: ActorSystem;
  readonly log: Logger;
  readonly configStore: ConfigStore;
  readonly tree: TreeControl;
  /** The cluster this node is a member of (embedded: a cluster of one). */
  readonly cluster: NodeCluster;
  /** The actor address of a component of this node. */
  address(component: string): string;
  /** Asks the node to shut down (the CLI's `mobo shutdown`). */
  requestShutdown(reason: string): void;
}

/** The node's current configuration; it outlives restarts of the config actor. */
export interface ConfigStore {
  current(): Readonly<MoboConfig>;
  replace(next: Readonly<MoboConfig>): void;
  readonly loadOptions: LoadOptions;
}

/** Operations on the supervision tree, by component name. */
export interface TreeControl {
  statuses(): ChildStatus[];
  names(): string[];
  startChild(name: string): Promise<void>;
  stopChild(name: string): Promise<void>;
  restartChild(name: string): Promise<void>;
  killChild(name: string, reason?: string): void;
  /** Adds a child under the named supervisor at run time. */
  addChildTo(supervisor: string, spec: ChildSpec): Promise<void>;
  removeChild(name: string): Promise<void>;
}

export type Group = 'kernel' | 'security' | 'data' | 'edge' | 'ops';
export const GROUP_ORDER: readonly Group[] = ['kernel', 'security', 'data', 'edge', 'ops'];

/**
 * The plug-in contract: what a component declares, in its own folder, to go into a slot.
 * Adding a component is its folder plus one line in `actors/components.ts`; the
 * motherboard merges its config section, error codes, routes and hooks at boot.
 * How to write one: docs/plugin-contract.md.
 */
interface SlotBase {
  name: string;
  group: Group;
  dependsOn?: string[];
  restart?: RestartType;
  shutdownMs?: number;
  /** Where it runs in a cluster: `node` (every node, the default), `singleton` (one node, under a lease), `sharded`. Embedded, here. */
  placement?: Placement;
  /** Its config section (`configSection(key, zodSchema)`), merged into the node's schema: unknown keys still refused. */
  config?: ConfigSection;
  /** Its error codes (`defineErrors({...})`), merged into the one catalogue at boot; a code two components declare fails boot. */
  errors?: { readonly defs: Readonly<Record<string, ErrorDef>> };
  /** The messages its actor answers (`defineProtocol`); callers derive a typed client with `clientOf`. */
  protocol?: Protocol;
  /**
   * Its HTTP/WebSocket routes and edge hooks, mounted behind the node's one listener each
   * time the component starts. While it is down its routes answer 503
   * COMPONENT_RESTARTING (or COMPONENT_STOPPED) and only its own sockets close.
   */
  routes?: RouteMount;
  /** `false` for what the operator channel needs (the listener, the operator API, control): `component:stop` refuses it. */
  stoppable?: boolean;
  /** The node's HTTP listener: it starts after every sibling that has routes, so READY means every route answers. */
  listener?: boolean;
}

/** What the motherboard hands a slot besides the board: the node's edge (route table and pipeline). */
export interface SlotPlug {
  edge: Edge;
}

/** A slot on the motherboard: one component, the group it sits in, and how to make it. */
export interface ActorSlot extends SlotBase {
  mailbox?: Partial<MailboxOptions>;
  /** The component's actor; a component that only serves routes may leave it out. */
  behavior?(board: Board, plug: SlotPlug): Behavior;
}

/** A slot that is a supervisor whose children are added at run time (one per project source, say). */
export interface PoolSlot extends SlotBase {
  supervises: { strategy: Strategy; intensity: IntensityLimit };
}

export type ComponentSlot = ActorSlot | PoolSlot;
