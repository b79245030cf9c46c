import type { ActorSlot } from '../board.js';
import { backupSlot, type BackupSlotOptions } from './backup-actor.js';
import { backupSchedulerSlot } from './scheduler-slot.js';

export { backupSlot, BACKUP_TOPIC, type BackupSlotOptions } from './backup-actor.js';
export { backupSchedulerSlot, SCHEDULER_NAME } from './scheduler-slot.js';

/** MagBackup's slots: the backup actor (every node) and the schedule's runner (a cluster singleton). */
export function backupSlots(options: BackupSlotOptions = {}): ActorSlot[] {
  return [backupSlot(options), backupSchedulerSlot(options)];
}
export type { ArchiveSummary } from './library.js';
export type { Manifest, PartEntry } from './manifest.js';
export type { Progress } from './create.js';
export type { Job } from '../kernel/jobs.js';
export type { VerifyReport } from './verify.js';
export type { RestoreReport } from './service.js';
