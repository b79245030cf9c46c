import { flagNumber, flagString, required } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { client } from './node.js';
import { type ErrorBody, MoboError } from '../../runtime/index.js';

interface Job {
  id: string;
  state: 'running' | 'done' | 'failed';
  progress: { copied: number; total: number };
  result?: { rows: number; batches: number; createdTable: boolean; toTable: string; warnings?: string[] };
  error?: ErrorBody;
}

const POLL_MS = 200;

function bar(copied: number, total: number): string {
  const width = 30;
  const done = total === 0 ? width : Math.round((copied / total) * width);
  return `[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${copied}/${total}`;
}

export const bridgeCopyCommand: Command = {
  name: 'bridge:copy',
  summary: 'Copy a table between two sources (any kinds), with progress',
  usage: 'mobo bridge:copy <project> <from-source> <table> <to-source> [--to-table T] [--to-project P] [--batch-size N] [--json]',
  flags: { 'to-table': 'string', 'to-project': 'string', 'batch-size': 'string' },
  details:
    'Creates the target table from portable column types when it is missing (booleans, timestamps, json, decimals and binary stay such); ' +
    'into an existing table, values convert to its column types where the meaning is plain. Warns when the target has no row rule for the table. ' +
    'Fails on duplicate keys in the target.',
  async run(args, out) {
    const c = client(args);
    const body: Record<string, unknown> = {
      project: required(args, 0, 'a project', 'bridge:copy'),
      from: required(args, 1, 'a source to copy from', 'bridge:copy'),
      table: required(args, 2, 'a table', 'bridge:copy'),
      to: required(args, 3, 'a source to copy to', 'bridge:copy'),
      batchSize: flagNumber(args, 'batch-size', 1_000),
    };
    const toTable = flagString(args, 'to-table');
    const toProject = flagString(args, 'to-project');
    if (toTable) body.toTable = toTable;
    if (toProject) body.toProject = toProject;
    let job = await c.post<Job>('/v1/admin/bridge/copy', body);
    const tty = process.stdout.isTTY && !out.json;
    while (job.state === 'running') {
      await new Promise((r) => setTimeout(r, POLL_MS));
      job = await c.get<Job>(`/v1/admin/bridge/jobs/${encodeURIComponent(job.id)}`);
      if (tty) process.stdout.write(`\r${bar(job.progress.copied, job.progress.total)}`);
    }
    if (tty) process.stdout.write('\n');
    if (job.state === 'failed') throw job.error ? MoboError.fromBody(job.error) : new MoboError('INTERNAL', 'The copy failed');
    for (const warning of job.result?.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
    out.result(job, () => `copied ${job.result?.rows ?? 0} rows in ${job.result?.batches ?? 0} batches into ${job.result?.toTable ?? ''}${job.result?.createdTable ? ' (created)' : ''}`);
    return EXIT.OK;
  },
};
