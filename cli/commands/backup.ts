import type { ArchiveSummary, Job, Manifest, Progress, RestoreReport, VerifyReport } from '../../actors/backup/index.js';
import { parseAge } from '../../actors/backup/retention.js';
import { flagString, required, usage, type ParsedArgs } from '../args.js';
import type { NodeClient } from '../client.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { table, type Output } from '../output.js';
import { client } from './node.js';
import { MoboError } from '../../runtime/index.js';

const POLL_MS = 200;

function count(args: ParsedArgs, name: string): number | undefined {
  const text = flagString(args, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw usage(`--${name} must be a whole number, got "${text}"`);
  return Number(text);
}

/** 512 B · 4.0 KB · 12.3 MB · 1.2 GB: a small archive must not read as 0.00 MB. */
export function size(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) (value /= 1024), unit++;
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Polls a job to its end, drawing `[####....] step done/total · rows` on a terminal. */
async function follow<R>(c: NodeClient, job: Job<Progress, R>, out: Output): Promise<R> {
  const tty = process.stdout.isTTY && !out.json;
  while (job.state === 'running') {
    await new Promise((r) => setTimeout(r, POLL_MS));
    job = await c.get<Job<Progress, R>>(`/v1/admin/backups/jobs/${encodeURIComponent(job.id)}`);
    const { step, done, total, rows } = job.progress;
    const filled = total === 0 ? 0 : Math.round((done / total) * 24);
    if (tty) process.stdout.write(`\r[${'#'.repeat(filled).padEnd(24, '.')}] ${done}/${total} ${step} · ${rows} rows\x1b[K`);
  }
  if (tty) process.stdout.write('\n');
  if (job.state === 'failed') throw job.error ? MoboError.fromBody(job.error) : new MoboError('INTERNAL', `The ${job.kind} job failed`);
  return job.result as R;
}

/**
 * Said once per archive, to a person at a terminal only (never into --json or a CI log):
 * a plain archive holds every row of every project, readable by whoever gets the file.
 */
function warnUnencrypted(out: Output): void {
  if (out.json || !process.stderr.isTTY) return;
  process.stderr.write('warning: this backup is not encrypted; anyone who can read the file reads the data (set backup.key, env MOBO_BACKUP__KEY)\n');
}

/** A command from its help and its body (missing backups and jobs exit 5, as every *_NOT_FOUND). */
function command(spec: Omit<Command, 'run'>, run: Command['run']): Command {
  return { ...spec, run };
}

export const backupCreateCommand = command(
  {
    name: 'backup:create',
    summary: 'Back up the control store, config and every project source into one archive',
    usage: 'mobo backup:create [--reason TEXT] [--json]',
    flags: { reason: 'string' },
    details: 'Runs as a job on the node (progress shown on a terminal); the node keeps serving meanwhile. Archives go to <dataDir>/backups, encrypted when backup.key is set.',
  },
  async (args, out) => {
    const c = client(args);
    const reason = flagString(args, 'reason');
    const manifest = await follow(c, await c.post<Job<Progress, Manifest>>('/v1/admin/backups', reason ? { reason } : {}), out);
    if (!manifest.encrypted) warnUnencrypted(out);
    const rows = manifest.parts.reduce((n, p) => n + Object.values(p.rows).reduce((a, b) => a + b, 0), 0);
    out.result(manifest, () => `backup ${manifest.id}: ${manifest.parts.length} parts, ${rows} rows${manifest.encrypted ? ', encrypted' : ''}`);
    return EXIT.OK;
  },
);

export const backupListCommand = command(
  { name: 'backup:list', summary: 'List the backups in the data directory', usage: 'mobo backup:list [--json]', flags: {} },
  async (args, out) => {
    const list = await client(args).get<ArchiveSummary[]>('/v1/admin/backups');
    out.result(list, () =>
      list.length === 0
        ? 'no backups'
        : table([
            ['ID', 'CREATED', 'SIZE', 'PARTS', 'ROWS', 'ENCRYPTED', 'NOTE'],
            ...list.map((b) => [b.id, b.createdAt, size(b.bytes), String(b.parts ?? '?'), String(b.rows ?? '?'), b.encrypted ? 'yes' : 'no', b.problem ?? b.reason ?? '']),
          ]),
    );
    return EXIT.OK;
  },
);

export const backupVerifyCommand = command(
  {
    name: 'backup:verify',
    summary: 'Check a backup: every checksum, then a trial restore into scratch databases',
    usage: 'mobo backup:verify <id> [--json]',
    flags: {},
    details: 'Exit 0 when every part checks out; 1 when the archive is damaged (BACKUP_CORRUPT) or a part does not restore.',
  },
  async (args, out) => {
    const c = client(args);
    const id = required(args, 0, 'a backup id', 'backup:verify');
    const report = await follow(c, await c.post<Job<Progress, VerifyReport>>(`/v1/admin/backups/${encodeURIComponent(id)}/verify`), out);
    out.result(report, () =>
      [
        `backup ${report.id}: ${report.ok ? 'OK' : 'FAILED'} (${size(report.bytes)} of records read${report.encrypted ? ', decrypted' : ''})`,
        table([['PART', 'KIND', 'TABLES', 'ROWS', 'CHECKSUM', 'TRIAL RESTORE'], ...report.parts.map((p) => [p.name, p.kind, String(p.tables), String(p.rows), p.checksum, p.error ? `${p.trial}: ${p.error}` : p.trial])]),
      ].join('\n'),
    );
    return report.ok ? EXIT.OK : EXIT.FAILED;
  },
);

export const backupRestoreCommand = command(
  {
    name: 'backup:restore',
    summary: 'Restore a backup: the whole system, or one project',
    usage: 'mobo backup:restore <id> [--project P] [--force] [--json]',
    flags: { project: 'string', force: 'boolean' },
    details:
      'The archive is verified end to end before anything is written. Tables that hold data are replaced only with --force. What is replaced is first saved as a "pre-restore" backup; if the restore fails, it is put back.',
  },
  async (args, out) => {
    const c = client(args);
    const id = required(args, 0, 'a backup id', 'backup:restore');
    const project = flagString(args, 'project');
    const body = { ...(project ? { project } : {}), force: args.flags.force === true };
    const report = await follow(c, await c.post<Job<Progress, RestoreReport>>(`/v1/admin/backups/${encodeURIComponent(id)}/restore`, body), out);
    out.result(report, () =>
      [
        `restored backup ${report.id}${project ? ` (project ${project})` : ''}${report.safetyBackup ? `; replaced data saved in backup ${report.safetyBackup}` : ''}`,
        table([['PART', 'TABLES', 'ROWS', 'REPLACED'], ...report.parts.map((p) => [p.name, String(p.tables.length), String(p.rows), String(p.replaced.length)])]),
      ].join('\n'),
    );
    return EXIT.OK;
  },
);

export const backupPruneCommand = command(
  {
    name: 'backup:prune',
    summary: 'Delete old backups: keep the newest N, and/or remove those older than an age',
    usage: 'mobo backup:prune [--keep N] [--older-than 7d] [--dry-run] [--json]',
    flags: { keep: 'string', 'older-than': 'string', 'dry-run': 'boolean' },
    details: 'Ages: 30m, 12h, 7d, 2w. With both flags, backups older than the age go, but never one of the newest N.',
  },
  async (args, out) => {
    const keep = count(args, 'keep');
    const age = flagString(args, 'older-than');
    const olderThanMs = age === undefined ? undefined : parseAge(age);
    if (age !== undefined && olderThanMs === undefined) throw usage(`--older-than takes an age like 30m, 12h, 7d or 2w, got "${age}"`);
    if (keep === undefined && olderThanMs === undefined) throw usage('backup:prune needs --keep N, --older-than AGE, or both');
    const dryRun = args.flags['dry-run'] === true;
    const result = await client(args).post<{ removed: string[]; kept: string[] }>('/v1/admin/backups/prune', { keep, olderThanMs, dryRun });
    out.result(result, () => `${dryRun ? 'would remove' : 'removed'} ${result.removed.length} backup(s)${result.removed.length ? `: ${result.removed.join(', ')}` : ''}; ${result.kept.length} kept`);
    return EXIT.OK;
  },
);

interface ScheduleView {
  schedule: { cron: string; keep?: number } | null;
  next: string | null;
  timezone: string;
}

export const backupScheduleCommand = command(
  {
    name: 'backup:schedule',
    summary: 'Show or set the backup schedule (cron, UTC; runs once per cluster)',
    usage: 'mobo backup:schedule [--cron "0 3 * * *" [--keep N] | --off] [--json]',
    flags: { cron: 'string', keep: 'string', off: 'boolean' },
    details: 'Five fields: minute hour day-of-month month day-of-week, in UTC. --keep N prunes to the newest N after each scheduled backup.',
  },
  async (args, out) => {
    const c = client(args);
    const cron = flagString(args, 'cron');
    const keep = count(args, 'keep');
    if (cron !== undefined && args.flags.off === true) throw usage('use --cron or --off, not both');
    const view =
      cron !== undefined || args.flags.off === true
        ? await c.post<ScheduleView>('/v1/admin/backups/schedule', { cron: cron ?? null, ...(keep ? { keep } : {}) })
        : await c.get<ScheduleView>('/v1/admin/backups/schedule');
    out.result(view, () =>
      view.schedule ? `schedule: ${view.schedule.cron} (${view.timezone})${view.schedule.keep ? `, keep ${view.schedule.keep}` : ''}; next run ${view.next ?? '—'}` : 'no backup schedule',
    );
    return EXIT.OK;
  },
);

export const BACKUP_COMMANDS: readonly Command[] = [backupCreateCommand, backupListCommand, backupVerifyCommand, backupRestoreCommand, backupPruneCommand, backupScheduleCommand];
