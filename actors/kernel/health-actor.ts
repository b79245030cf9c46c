import { z } from 'zod';
import type { Board, ComponentSlot } from '../board.js';
import { flatten, overallHealth, type ComponentStatus } from './tree-view.js';
import { type Behavior, dispatch, on } from '../../runtime/index.js';

export interface HealthReportBody {
  status: ReturnType<typeof overallHealth>;
  node: string;
  uptimeMs: number;
  components: ComponentStatus[];
}

/**
 * The node's health as one answer (`health.report`), for `GET /health` and the CLI.
 * Health checks themselves are run by each supervisor on its children.
 */
export const healthSlot: ComponentSlot = {
  name: 'health',
  group: 'kernel',
  dependsOn: ['config'],
  behavior: (board: Board): Behavior => {
    const bootedAt = board.system.clock.now();
    const handlers = {
      'health.report': on(z.null().optional(), (): HealthReportBody => {
        const components = flatten(board.tree.statuses());
        return { status: overallHealth(components), node: board.nodeId, uptimeMs: board.system.clock.now() - bootedAt, components };
      }),
    };
    return { receive: (msg, ctx) => dispatch(handlers, msg, ctx) };
  },
};
