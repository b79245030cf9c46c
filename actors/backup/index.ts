export { backupSlot, BACKUP_TOPIC, type BackupSlotOptions } from './backup-actor.js';
export type { ArchiveSummary } from './library.js';
export type { Manifest, PartEntry } from './manifest.js';
export type { Progress } from './create.js';
export type { Job } from '../kernel/jobs.js';
export type { VerifyReport } from './verify.js';
export type { RestoreReport } from './service.js';
