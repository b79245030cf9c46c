import { z } from 'zod';
import type { ActorSlot, Board } from '../board.js';
import { resourceName } from '../ds/names.js';
import { DataClient, sourceAddress } from '../ds/protocol.js';
import { JobTable } from '../kernel/jobs.js';
import { copyTable } from './copy.js';
import { type Behavior, dispatch, on, topics } from '../../runtime/index.js';

const copyInput = z.object({
  project: resourceName,
  from: resourceName,
  table: z.string().min(1).max(200),
  to: resourceName,
  toProject: resourceName.optional(),
  toTable: z.string().min(1).max(200).optional(),
  batchSize: z.number().int().min(1).max(10_000).default(1_000),
});

interface RuleRow {
  source: string;
  table: string;
  column: string;
}

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
    const auth = board.system.ref(board.address('auth'), 'bridge');
    const client = (project: string, source: string) => new DataClient(board.system.ref(sourceAddress(project, source)), { timeoutMs: 60_000 });

    const handlers = {
      'bridge.copy': on(copyInput, (input) =>
        jobs.start('copy', { copied: 0, total: 0 }, async (report) => {
          const toProject = input.toProject ?? input.project;
          const toTable = input.toTable ?? input.table;
          const result = await copyTable({
            from: client(input.project, input.from),
            to: client(toProject, input.to),
            table: input.table,
            toTable,
            batchSize: input.batchSize,
            onProgress: (copied, total) => report({ copied, total }),
          });
          const rules = await auth.ask<RuleRow[]>('rule.list', { project: toProject });
          if (!rules.some((r) => r.source === input.to && r.table === toTable)) {
            const source = (input.toProject === undefined ? rules : await auth.ask<RuleRow[]>('rule.list', { project: input.project })).find((r) => r.source === input.from && r.table === input.table);
            result.warnings.push(
              `${toProject}/${input.to} has no row rule for table ${toTable}: every key or token that may read it sees every row` +
                (source ? ` (the source table keeps rows to their owner by ${source.column})` : '') +
                `; add one with POST /v1/admin/projects/${toProject}/row-rules`,
            );
          }
          return result;
        }),
      ),
      'bridge.job': on(z.object({ id: z.string().min(1) }), ({ id }) => jobs.get(id)),
      'bridge.route': on(z.object({ project: resourceName, source: resourceName }), ({ project, source }) => ({ address: sourceAddress(project, source) })),
    };
    return { receive: (msg, ctx) => dispatch(handlers, msg, ctx) };
  },
};
