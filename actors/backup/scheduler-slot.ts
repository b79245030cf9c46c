import { z } from 'zod';
import { LocalLease, openKvLease, type Lease as ScheduleLease } from '../../cluster/index.js';
import { MoboError, describeError, dispatch, natsNames, on, topics, type Behavior } from '../../runtime/index.js';
import type { ActorSlot, Board } from '../board.js';
import type { Job } from '../kernel/jobs.js';
import { controlStore } from '../kernel/store-slot.js';
import type { BackupSlotOptions } from './backup-actor.js';
import { ScheduleStore } from './schedule-store.js';
import { Scheduler, type Schedule } from './scheduler.js';

export const SCHEDULER_NAME = 'backup-scheduler';
const BACKUP_TOPIC = topics.job.root('backup');

/**
 * The backup schedule's runner: a cluster singleton (`placement: 'singleton'`), so one node
 * arms the cron timer and, when it fires, asks its own MagBackup for the backup; when that
 * node dies or drains, another takes the lease and the schedule goes on there. Each due time
 * is still claimed through a lease (JetStream KV on NATS), so a handover right at a due time
 * cannot run it twice. Embedded, it simply runs here.
 */
export function backupSchedulerSlot(options: Pick<BackupSlotOptions, 'clock' | 'lease'> = {}): ActorSlot {
  return {
    name: SCHEDULER_NAME,
    group: 'ops',
    dependsOn: ['backup'],
    placement: 'singleton',
    behavior: (board: Board): Behavior => {
      const clock = options.clock ?? board.system.clock;
      const backup = board.system.ref(board.address('backup'));
      const schedules = new ScheduleStore(controlStore(board));
      let scheduler: Scheduler | undefined;
      let lease: ScheduleLease | undefined;
      let unsubscribe: (() => void) | undefined;

      const runScheduled = async (_dueAt: number, schedule: Schedule): Promise<void> => {
        const done = await finished(board, () => backup.ask<Job<unknown>>('backup.create', { reason: 'scheduled' }));
        if (done.state === 'failed') throw MoboError.fromBody(done.error!);
        if (schedule.keep !== undefined) await backup.ask('backup.prune', { keep: schedule.keep }, { timeoutMs: 120_000 });
      };
      const handlers = {
        'schedule.reload': on(z.null().optional(), async () => {
          await scheduler?.reload();
          return { next: scheduler?.next ?? null };
        }),
      };

      return {
        async start(ctx) {
          await schedules.ensure();
          lease = await (options.lease ?? defaultLease)(board);
          scheduler = new Scheduler({
            clock,
            lease,
            load: () => schedules.load(),
            run: runScheduled,
            onTick: (tick) => {
              if (tick.error !== undefined) ctx.log.error('scheduled backup failed', { error: describeError(tick.error) });
              board.system.events.emit(`${BACKUP_TOPIC}.schedule.tick`, { dueAt: new Date(tick.dueAt).toISOString(), ran: tick.ran, node: board.nodeId, ...(tick.error === undefined ? {} : { error: describeError(tick.error) }) });
            },
          });
          await scheduler.reload();
          // A change made on another node (this node's MagBackup asks us directly).
          unsubscribe = board.system.events.on<{ node: string }>(`${BACKUP_TOPIC}.schedule.changed`, (e) => {
            if (e.payload.node !== board.nodeId) void scheduler?.reload().catch((err: unknown) => ctx.log.warn('could not reload the backup schedule', { error: describeError(err) }));
          });
        },
        receive: (msg, ctx) => dispatch(handlers, msg, ctx),
        health: () => ({ status: 'ok', details: { next: scheduler?.next === undefined ? null : new Date(scheduler.next).toISOString() } }),
        async stop() {
          unsubscribe?.();
          scheduler?.stop();
          await lease?.close();
        },
      };
    },
  };
}

/** Starts a job and resolves with it once done or failed (its events are heard from before it starts). */
async function finished(board: Board, start: () => Promise<Job<unknown>>): Promise<Job<unknown>> {
  const events = board.system.events;
  const ended = new Map<string, Job<unknown>>();
  let waiting: { id: string; resolve: (job: Job<unknown>) => void } | undefined;
  const heard = (job: Job<unknown>): void => {
    ended.set(job.id, job);
    if (waiting?.id === job.id) waiting.resolve(job);
  };
  const offs = (['done', 'failed'] as const).map((phase) => events.on<Job<unknown>>(`${BACKUP_TOPIC}.${phase}`, (e) => heard(e.payload)));
  try {
    const job = await start();
    return await new Promise<Job<unknown>>((resolve) => {
      waiting = { id: job.id, resolve };
      const early = ended.get(job.id);
      if (early) resolve(early);
    });
  } finally {
    for (const off of offs) off();
  }
}

async function defaultLease(board: Board): Promise<ScheduleLease> {
  const config = board.configStore.current();
  if (config.transport.kind !== 'nats') return new LocalLease();
  return openKvLease({ servers: config.transport.natsUrl, replicas: config.transport.replicas, bucket: natsNames(config.transport.cluster).bucket('backup'), key: 'schedule' });
}
