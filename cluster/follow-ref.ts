/**
 * A ref to a cluster singleton that follows it: each ask resolves where the singleton runs
 * now (its lease, as this node's cluster module sees it) and goes to that node's actor. An
 * ask while it moves — nobody holds the lease yet, the old copy stopped before answering,
 * or its old address no longer answers — fails at once with ACTOR_MOVING (503, retryable),
 * never waits out its timeout on a node that is gone.
 */
import { MoboError, isMoboError, type ActorRef, type AskOptions } from '../runtime/index.js';

export interface FollowRefDeps {
  /** Where the singleton runs now (NodeCluster.locate). */
  locate(name: string): string | undefined;
  /** The ref of an address (ActorSystem.ref). */
  ref(address: string): ActorRef;
  /** The actor address of a component on a node (`<node>.<component>`). */
  address(node: string, name: string): string;
}

export interface FollowRef {
  readonly name: string;
  /** The node the next ask would go to. */
  where(): string | undefined;
  ask<R = unknown>(type: string, payload?: unknown, opts?: AskOptions): Promise<R>;
}

/** Codes that mean "it was here, it is not any more": the move, not the request, failed. */
const MOVED = ['ACTOR_NOT_FOUND', 'ACTOR_STOPPED'] as const;

export function followRef(deps: FollowRefDeps, name: string): FollowRef {
  const moving = (node: string | undefined, cause?: unknown): MoboError =>
    new MoboError('ACTOR_MOVING', `${name} is moving to another node${node ? ` (it was on ${node})` : ''}; retry shortly`, {
      details: { actor: name, ...(node ? { node } : {}), retryAfterSeconds: 1 },
      ...(cause === undefined ? {} : { cause }),
    });
  return {
    name,
    where: () => deps.locate(name),
    async ask<R>(type: string, payload: unknown = null, opts: AskOptions = {}): Promise<R> {
      const node = deps.locate(name);
      if (node === undefined) throw moving(undefined);
      try {
        return await deps.ref(deps.address(node, name)).ask<R>(type, payload, opts);
      } catch (err) {
        if (MOVED.some((code) => isMoboError(err, code))) throw moving(node, err);
        throw err;
      }
    },
  };
}
