import { z } from 'zod';
import type { Board, ComponentSlot } from '../board.js';
import { flatten } from './tree-view.js';
import { assertAddress, type Behavior, dispatch, MoboError, on } from '../../runtime/index.js';

export interface RegistryEntry {
  name: string;
  node: string;
  address: string;
  state: string;
}

const name = z.object({ name: z.string().min(1).max(200) });

/**
 * Where things are: every component of the tree by name (read live from the
 * supervisors, so it cannot drift), plus services registered at run time
 * (for example a project's connection actors).
 */
export const registrySlot: ComponentSlot = {
  name: 'registry',
  group: 'kernel',
  dependsOn: ['config'],
  behavior: (board: Board): Behavior => {
    const services = new Map<string, RegistryEntry>();
    const components = (): RegistryEntry[] =>
      flatten(board.tree.statuses()).map((c) => ({ name: c.name, node: board.nodeId, address: board.address(c.name), state: c.state }));
    const all = (): RegistryEntry[] => [...components(), ...services.values()];
    const handlers = {
      'registry.lookup': on(name, ({ name }) => {
        const entry = all().find((e) => e.name === name);
        if (!entry) throw new MoboError('ACTOR_NOT_FOUND', `Nothing registered as "${name}"`, { details: { name } });
        return entry;
      }),
      'registry.list': on(z.null().optional(), () => all()),
      'registry.register': on(name.extend({ address: z.string() }), ({ name, address }) => {
        assertAddress(address);
        services.set(name, { name, node: board.nodeId, address, state: 'running' });
        return true;
      }),
      'registry.unregister': on(name, ({ name }) => services.delete(name)),
    };
    return { receive: (msg, ctx) => dispatch(handlers, msg, ctx) };
  },
};
