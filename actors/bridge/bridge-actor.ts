import { z } from 'zod';
import { dispatch, on, type Behavior } from '../../runtime/behavior.js';
import type { ActorSlot, Board } from '../board.js';
import { resourceName } from '../ds/names.js';
import { DataClient, sourceAddress } from '../ds/protocol.js';
import { JobTable } from '../kernel/jobs.js';
import { topics } from '../../runtime/topics.js';
import { copyTable } from './copy.js';

const copyInput = z.object({
  project: resourceName,
  from: resourceName,
  table: z.string().min(1).max(200),
  to: resourceName,
  toProject: resourceName.optional(),
  toTable: z.string().min(1).max(200).optional(),
  batchSize: z.number().int().min(1).max(10_000).default(1_000),
});

export interface CopyProgress {
  copied: number;
  total: number;
}

/**
 * MagBridge: routes by source name and copies tables between any two sources. A copy
 * runs as a job: `bridge.copy` answers with the job at once, progress goes out as
 * `job.bridge.progress|done|failed` events, and `bridge.job` reports it.
 */
export const bridgeSlot: ActorSlot = {
  name: 'bridge',
  group: 'ops',
  mailbox: { concurrency: 4 },
  behavior: (board: Board): Behavior => {
    const jobs = new JobTable<CopyProgress>({ events: board.system.events, topic: topics.job.root('bridge'), notFound: 'JOB_NOT_FOUND', now: () => new Date() });
    const client = (project: string, source: string) => new DataClient(board.system.ref(sourceAddress(project, source)), { timeoutMs: 60_000 });

    const handlers = {
      'bridge.copy': on(copyInput, (input) =>
        jobs.start('copy', { copied: 0, total: 0 }, (report) =>
          copyTable({
            from: client(input.project, input.from),
            to: client(input.toProject ?? input.project, input.to),
            table: input.table,
            toTable: input.toTable ?? input.table,
            batchSize: input.batchSize,
            onProgress: (copied, total) => report({ copied, total }),
          }),
        ),
      ),
      'bridge.job': on(z.object({ id: z.string().min(1) }), ({ id }) => jobs.get(id)),
      'bridge.route': on(z.object({ project: resourceName, source: resourceName }), ({ project, source }) => ({ address: sourceAddress(project, source) })),
    };
    return { receive: (msg, ctx) => dispatch(handlers, msg, ctx) };
  },
};
