import { z } from 'zod';
import type { ExitReason, HealthReport, LifecycleState } from '../runtime/index.js';

/** The narrow view a supervisor has of what it supervises: an actor or another supervisor. */
export interface Child {
  readonly state: LifecycleState;
  start(): Promise<void>;
  stop(timeoutMs: number): Promise<void>;
  kill(reason?: string): void;
  health(timeoutMs: number): Promise<HealthReport>;
  onExit(listener: (reason: ExitReason) => void): () => void;
}

/**
 * permanent: always restarted. transient: restarted only after an abnormal exit.
 * temporary: never restarted.
 */
export type RestartType = 'permanent' | 'transient' | 'temporary';

export interface ChildSpec {
  name: string;
  /** Called once, when the child is first started; restarts reuse the same Child. */
  create: () => Child;
  restart?: RestartType;
  /** How long a graceful stop may take before the child is killed (OTP: 5000 ms). */
  shutdownMs?: number;
  /** Names of siblings that must be running before this one starts. */
  dependsOn?: string[];
  /**
   * What the child was made from (a source's version, say), shown in its status. The one
   * who added the child reads it back from the tree after its own restart, instead of
   * remembering it outside supervision.
   */
  tag?: string;
  /**
   * Where it runs in a cluster: `node` (default) on every node; `singleton` on one node at a
   * time, under a lease; `sharded` on the live node rendezvous hashing picks for its name.
   * Embedded (no cluster), every placement runs here: the node is the cluster.
   */
  placement?: Placement;
}

export type Placement = 'node' | 'singleton' | 'sharded';

export type ResolvedChildSpec = Required<Omit<ChildSpec, 'tag'>> & Pick<ChildSpec, 'tag'>;

const NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export const childSpecSchema = z.object({
  name: z.string().regex(NAME, 'names are dot-separated tokens of letters, digits, _ and -'),
  create: z.function(),
  restart: z.enum(['permanent', 'transient', 'temporary']).default('permanent'),
  shutdownMs: z.number().int().positive().default(5_000),
  dependsOn: z.array(z.string()).default([]),
  tag: z.string().max(200).optional(),
  placement: z.enum(['node', 'singleton', 'sharded']).default('node'),
});
