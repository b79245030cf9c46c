import type { TreeControl } from './board.js';
import { MoboError } from '../runtime/index.js';

/** Who holds the handle: the component, and the supervisors it may add children under. */
export interface TreeScope {
  component: string;
  /** Its own group's supervisor and the pool slots of that group. */
  supervisors: ReadonlySet<string>;
}

/**
 * The tree as one component sees it: it reads the whole tree (status, health), adds
 * children under a supervisor of its own group, and then starts, stops, restarts or
 * removes only the children it added itself. Anything else (another component, chaos
 * kills) is an operator command, which goes through the control actor: the one component
 * given the whole tree. The handle outlives the component's restarts, as its children do.
 */
export function scopedTree(treeOf: () => TreeControl, scope: TreeScope): TreeControl {
  const own = new Set<string>();
  const refuse = (action: string, target: string): MoboError =>
    new MoboError('SUP_NOT_PERMITTED', `${scope.component} may not ${action} "${target}": it manages only the children it added`, {
      details: { component: scope.component, action, target },
    });
  /** Runs op on one of our own children; a name not in the tree at all gets the tree's own answer (SUP_CHILD_NOT_FOUND). */
  const mine = <T>(action: string, name: string, op: (tree: TreeControl) => T): T => {
    const tree = treeOf();
    if (!own.has(name) && tree.names().includes(name)) throw refuse(action, name);
    return op(tree);
  };
  const mineAsync = async (action: string, name: string, op: (tree: TreeControl) => Promise<void>): Promise<void> => mine(action, name, op);
  return {
    statuses: () => treeOf().statuses(),
    names: () => treeOf().names(),
    startChild: (name) => mineAsync('start', name, (tree) => tree.startChild(name)),
    stopChild: (name) => mineAsync('stop', name, (tree) => tree.stopChild(name)),
    restartChild: (name) => mineAsync('restart', name, (tree) => tree.restartChild(name)),
    killChild: (name, reason) => mine('kill', name, (tree) => tree.killChild(name, reason)),
    async addChildTo(supervisor, spec) {
      if (!scope.supervisors.has(supervisor)) throw refuse('add children under', supervisor);
      await treeOf().addChildTo(supervisor, spec);
      own.add(spec.name);
    },
    removeChild: (name) =>
      mineAsync('remove', name, async (tree) => {
        await tree.removeChild(name);
        own.delete(name);
      }),
  };
}
