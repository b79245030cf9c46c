import { z } from 'zod';
import type { ActorSlot, Board } from '../board.js';
import { resourceName } from '../ds/names.js';
import { SecretBox } from '../kernel/secret-box.js';
import { controlStore } from '../kernel/store-slot.js';
import type { Progress } from './create.js';
import { Cron } from './cron.js';
import { JobTable } from '../kernel/jobs.js';
import { followRef, type Lease as ScheduleLease } from '../../cluster/index.js';
import { ArchiveLibrary } from './library.js';
import { ScheduleStore } from './schedule-store.js';
import { SCHEDULER_NAME } from './scheduler-slot.js';
import type { RestoreCheckpoint } from './restore.js';
import { BackupService } from './service.js';
import { backupSettings } from './settings.js';
import { type Behavior, type Clock, describeError, dispatch, MoboError, on, topics } from '../../runtime/index.js';

export interface BackupSlotOptions {
  /** Time for the scheduler (tests drive a ManualClock); default the system clock. */
  clock?: Clock;
  /** Overrides `backup.key`. */
  key?: string;
  /** The scheduler's claim of each due time. Default: a JetStream KV lease on the NATS transport, a local one embedded. */
  lease?: (board: Board) => Promise<ScheduleLease>;
  /** The failure-injection hook of restores: called at every step; throwing aborts there (tests). */
  restoreCheckpoint?: RestoreCheckpoint;
}

const id = z.object({ id: z.string().min(1).max(100) });
const restoreInput = id.extend({ project: resourceName.optional(), force: z.boolean().default(false) });
const pruneInput = z
  .object({ keep: z.number().int().min(0).optional(), olderThanMs: z.number().int().min(0).optional(), dryRun: z.boolean().default(false) })
  .refine((r) => r.keep !== undefined || r.olderThanMs !== undefined, { message: 'give keep, olderThanMs, or both' });
const scheduleInput = z.object({ cron: z.string().min(1).max(200).nullable(), keep: z.number().int().min(1).optional() });

/** Events: `job.backup.progress|done|failed` (jobs), `job.backup.schedule.changed|tick` (runtime/topics.ts). */
export const BACKUP_TOPIC = topics.job.root('backup');

/**
 * MagBackup: backups of everything the node owns (control store, config, every project's
 * sources) into one archive each, verify, restore, prune and a cluster-wide schedule.
 * Backups, verifies and restores run as jobs, off the mailbox: the request is answered with
 * the job at once and the actor (and the node) keep serving while it runs. The schedule is
 * kept here; its runner is the `backup-scheduler` singleton (scheduler-slot.ts).
 */
export function backupSlot(options: BackupSlotOptions = {}): ActorSlot {
  return {
    name: 'backup',
    group: 'ops',
    mailbox: { concurrency: 4 },
    behavior: (board: Board): Behavior => {
      const config = board.configStore.current();
      const clock = options.clock ?? board.system.clock;
      const now = (): Date => new Date(clock.now());
      const settings = backupSettings(config, options.key ? { key: options.key } : {});
      const library = new ArchiveLibrary(settings.dir);
      const service = new BackupService(board, settings, library, SecretBox.forNode(config.dataDir, config.secrets.key), now, options.restoreCheckpoint);
      const jobs = new JobTable<Progress>({ events: board.system.events, topic: BACKUP_TOPIC, notFound: 'BACKUP_JOB_NOT_FOUND', now });
      const schedules = new ScheduleStore(controlStore(board));
      const idle: Progress = { step: 'starting', done: 0, total: 0, rows: 0 };

      /** Backups and restores take turns: a restore must not race a backup of the same data. */
      const exclusive = (kind: 'create' | 'restore', work: (report: (p: Progress) => void) => Promise<unknown>) => {
        const busy = jobs.running().find((j) => j.kind === 'create' || j.kind === 'restore');
        if (busy) throw new MoboError('BACKUP_BUSY', `A ${busy.kind} job (${busy.id}) is running`, { details: { job: busy.id } });
        return jobs.start(kind, idle, work);
      };
      const scheduleView = async () => {
        const schedule = await schedules.load();
        const next = schedule ? new Date(Cron.parse(schedule.cron).next(clock.now())).toISOString() : null;
        return { schedule, next, timezone: 'UTC' };
      };

      const handlers = {
        'backup.create': on(z.object({ reason: z.string().max(200).optional() }).nullish(), (input) => exclusive('create', (report) => service.create(input?.reason ?? 'manual', report))),
        'backup.list': on(z.null().optional(), () => library.list(settings.cipher)),
        'backup.verify': on(id, ({ id }) => jobs.start('verify', idle, (report) => service.verify(id, report))),
        'backup.restore': on(restoreInput, (input) => exclusive('restore', (report) => service.restore(input, report))),
        'backup.prune': on(pruneInput, (rule) => service.prune(rule, rule.dryRun)),
        'backup.job': on(id, ({ id }) => jobs.get(id)),
        'backup.jobs': on(z.null().optional(), () => jobs.list()),
        'backup.schedule.get': on(z.null().optional(), () => scheduleView()),
        'backup.schedule.set': on(scheduleInput, async ({ cron, keep }) => {
          if (cron !== null) Cron.parse(cron);
          await schedules.save(cron === null ? null : { cron, ...(keep ? { keep } : {}) }, now());
          // The runner takes the change before we answer, on whichever node it runs (the event covers a runner mid-move).
          await followRef({ locate: (n) => board.cluster.locate(n), ref: (a) => board.system.ref(a), address: (node, n) => `${node}.${n}` }, SCHEDULER_NAME)
            .ask('schedule.reload', null, { timeoutMs: 10_000 })
            .catch(() => undefined);
          board.system.events.emit(`${BACKUP_TOPIC}.schedule.changed`, { node: board.nodeId });
          return scheduleView();
        }),
      };

      return {
        async start() {
          await schedules.ensure();
        },
        receive: (msg, ctx) => dispatch(handlers, msg, ctx),
        health: () => ({ status: 'ok', details: { running: jobs.running().length } }),
      };
    },
  };
}
