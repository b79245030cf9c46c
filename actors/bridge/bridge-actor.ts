import { z } from 'zod';
import { dispatch, on, type Behavior } from '../../runtime/behavior.js';
import { MoboError, toMoboError, type ErrorBody } from '../../runtime/errors.js';
import { nextId } from '../../runtime/ids.js';
import type { ActorSlot, Board } from '../board.js';
import { resourceName } from '../ds/names.js';
import { DataClient, sourceAddress } from '../ds/protocol.js';
import { copyTable, type CopyResult } from './copy.js';

const copyInput = z.object({
  project: resourceName,
  from: resourceName,
  table: z.string().min(1).max(200),
  to: resourceName,
  toProject: resourceName.optional(),
  toTable: z.string().min(1).max(200).optional(),
  batchSize: z.number().int().min(1).max(10_000).default(1_000),
});

export interface CopyJob {
  id: string;
  state: 'running' | 'done' | 'failed';
  copied: number;
  total: number;
  result?: CopyResult;
  error?: ErrorBody;
}

const KEEP_FINISHED_JOBS = 100;

/**
 * MagBridge: routes by source name and copies tables between any two sources. A copy
 * runs as a job: `bridge.copy` answers with the job at once, progress goes out as
 * `data.bridge.progress` events, and `bridge.job` reports it.
 */
export const bridgeSlot: ActorSlot = {
  name: 'bridge',
  group: 'ops',
  mailbox: { concurrency: 4 },
  behavior: (board: Board): Behavior => {
    const jobs = new Map<string, CopyJob>();
    const client = (project: string, source: string) => new DataClient(board.system.ref(sourceAddress(project, source)), { timeoutMs: 60_000 });

    const forget = (): void => {
      const finished = [...jobs.values()].filter((j) => j.state !== 'running');
      for (const j of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED_JOBS))) jobs.delete(j.id);
    };

    const handlers = {
      'bridge.copy': on(copyInput, (input) => {
        const job: CopyJob = { id: nextId(), state: 'running', copied: 0, total: 0 };
        jobs.set(job.id, job);
        forget();
        void copyTable({
          from: client(input.project, input.from),
          to: client(input.toProject ?? input.project, input.to),
          table: input.table,
          toTable: input.toTable ?? input.table,
          batchSize: input.batchSize,
          onProgress: (copied, total) => {
            job.copied = copied;
            job.total = total;
            board.system.events.emit('data.bridge.progress', { ...job });
          },
        }).then(
          (result) => {
            Object.assign(job, { state: 'done', result });
            board.system.events.emit('data.bridge.done', { ...job });
          },
          (err: unknown) => {
            Object.assign(job, { state: 'failed', error: toMoboError(err).toBody() });
            board.system.events.emit('data.bridge.failed', { ...job });
          },
        );
        return { ...job };
      }),
      'bridge.job': on(z.object({ id: z.string().min(1) }), ({ id }) => {
        const job = jobs.get(id);
        if (!job) throw new MoboError('DS_ROW_NOT_FOUND', `No bridge job "${id}"`, { details: { id } });
        return { ...job };
      }),
      'bridge.route': on(z.object({ project: resourceName, source: resourceName }), ({ project, source }) => ({ address: sourceAddress(project, source) })),
    };
    return { receive: (msg, ctx) => dispatch(handlers, msg, ctx) };
  },
};
