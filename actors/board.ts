import type { LoadOptions } from '../config/load.js';
import type { MoboConfig } from '../config/schema.js';
import type { Logger } from '../runtime/logger.js';
import type { ActorSystem } from '../runtime/system.js';
import type { ChildStatus } from '../supervisors/supervisor.js';
import type { Behavior } from '../runtime/behavior.js';
import type { MailboxOptions } from '../runtime/mailbox.js';
import type { ChildSpec, RestartType } from '../supervisors/child.js';
import type { IntensityLimit } from '../supervisors/intensity.js';
import type { Strategy } from '../supervisors/strategy.js';

/** What every component sees of the node it is plugged into: the motherboard's bus. */
export interface Board {
  readonly nodeId: string;
  readonly system: ActorSystem;
  readonly log: Logger;
  readonly configStore: ConfigStore;
  readonly tree: TreeControl;
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

interface SlotBase {
  name: string;
  group: Group;
  dependsOn?: string[];
  restart?: RestartType;
  shutdownMs?: number;
}

/** A slot on the motherboard: one component, the group it sits in, and how to make it. */
export interface ActorSlot extends SlotBase {
  mailbox?: Partial<MailboxOptions>;
  behavior(board: Board): Behavior;
}

/** A slot that is a supervisor whose children are added at run time (one per project source, say). */
export interface PoolSlot extends SlotBase {
  supervises: { strategy: Strategy; intensity: IntensityLimit };
}

export type ComponentSlot = ActorSlot | PoolSlot;
