import { MoboError } from '../runtime/index.js';

interface Node {
  name: string;
  dependsOn: readonly string[];
}

/**
 * Start order from declared dependencies: a dependency always starts first, and
 * otherwise declaration order is kept. A missing dependency or a cycle is a boot
 * error that names it.
 */
export function bootOrder<T extends Node>(children: readonly T[], supervisor: string): T[] {
  const byName = new Map<string, T>();
  for (const child of children) {
    if (byName.has(child.name)) throw new MoboError('SUP_BAD_SPEC', `Two children named "${child.name}" in ${supervisor}`, { details: { supervisor, child: child.name } });
    byName.set(child.name, child);
  }
  for (const child of children) {
    for (const dep of child.dependsOn) {
      if (!byName.has(dep)) {
        throw new MoboError('SUP_MISSING_DEPENDENCY', `"${child.name}" depends on "${dep}", which ${supervisor} does not have`, {
          details: { supervisor, child: child.name, missing: dep },
        });
      }
    }
  }
  const order: T[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (child: T, path: string[]): void => {
    const mark = state.get(child.name);
    if (mark === 'done') return;
    if (mark === 'visiting') {
      const cycle = [...path.slice(path.indexOf(child.name)), child.name];
      throw new MoboError('SUP_BOOT_CYCLE', `Dependency cycle in ${supervisor}: ${cycle.join(' -> ')}`, { details: { supervisor, cycle } });
    }
    state.set(child.name, 'visiting');
    for (const dep of child.dependsOn) visit(byName.get(dep)!, [...path, child.name]);
    state.set(child.name, 'done');
    order.push(child);
  };
  for (const child of children) visit(child, []);
  return order;
}
