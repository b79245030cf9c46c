import type { DiffReport } from '../../actors/schema/diff.js';
import { flagNumber, flagString, required, type ParsedArgs } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { table } from '../output.js';
import { client } from './node.js';

const enc = encodeURIComponent;

function sourcePath(args: ParsedArgs, command: string): string {
  const project = required(args, 0, 'a project', command);
  const source = required(args, 1, 'a source', command);
  return `/v1/admin/projects/${enc(project)}/sources/${enc(source)}`;
}

interface Run {
  applied?: string[];
  reverted?: string[];
  sql?: string[];
}

const runText = (r: Run): string =>
  r.sql
    ? r.sql.map((s) => (s.startsWith('-- ') ? s : `${s};`)).join('\n') || '(nothing to run)'
    : [...(r.reverted ?? []).map((id) => `reverted ${id}`), ...(r.applied ?? []).map((id) => `applied ${id}`)].join('\n') || 'nothing to do: up to date';

const migrateNew: Command = {
  name: 'migrate:new',
  summary: 'Write a new migration file (<dataDir>/migrations/<project>/<source>/<timestamp>_<name>.sql)',
  usage: 'mobo migrate:new <project> <source> <name> [--json]',
  flags: {},
  async run(args, out) {
    const path = sourcePath(args, 'migrate:new');
    const name = required(args, 2, 'a migration name', 'migrate:new');
    const result = await client(args).post<{ id: string; file: string }>(`${path}/migrations`, { name });
    out.result(result, () => `created ${result.file}\nwrite the change under "-- migrate:up" and its undoing under "-- migrate:down"`);
    return EXIT.OK;
  },
};

const migrateStatus: Command = {
  name: 'migrate:status',
  summary: 'Each migration: applied, pending, changed (edited after it was applied) or missing (applied, file gone)',
  usage: 'mobo migrate:status <project> <source> [--json]',
  flags: {},
  async run(args, out) {
    const path = sourcePath(args, 'migrate:status');
    const result = await client(args).get<{ migrations: Array<{ id: string; status: string; appliedAt?: string }> }>(`${path}/migrations`);
    out.result(result, () => (result.migrations.length === 0 ? '(no migrations)' : table([['MIGRATION', 'STATUS', 'APPLIED'], ...result.migrations.map((m) => [m.id, m.status, m.appliedAt ?? ''])])));
    return EXIT.OK;
  },
};

function runCommand(name: 'up' | 'down' | 'redo', summary: string, usage: string, flags: Command['flags']): Command {
  return {
    name: `migrate:${name}`,
    summary,
    usage,
    flags: { ...flags, 'dry-run': 'boolean' },
    async run(args, out) {
      const path = sourcePath(args, `migrate:${name}`);
      const body: Record<string, unknown> = args.flags['dry-run'] ? { dryRun: true } : {};
      const to = flagString(args, 'to');
      if (to) body.to = to;
      if (flagString(args, 'steps')) body.steps = flagNumber(args, 'steps', 1);
      const result = await client(args).post<Run>(`${path}/migrations/${name}`, body);
      out.result(result, () => runText(result));
      return EXIT.OK;
    },
  };
}

const migrateUp = runCommand('up', 'Apply the pending migrations in order, each in a transaction where the backend allows, under the source\'s lock', 'mobo migrate:up <project> <source> [--to ID] [--dry-run] [--json]', { to: 'string' });
const migrateDown = runCommand('down', 'Revert the last applied migration(s)', 'mobo migrate:down <project> <source> [--steps N] [--dry-run] [--json]', { steps: 'string' });
const migrateRedo = runCommand('redo', 'Revert the last applied migration and apply it again', 'mobo migrate:redo <project> <source> [--dry-run] [--json]', {});

const dbDiff: Command = {
  name: 'db:diff',
  summary: 'The live schema against the one the migrations make (rehearsed in a scratch place): tables, columns, types, defaults, nullability, keys, indexes, foreign keys, checks; pending and edited migrations',
  usage: 'mobo db:diff <project> <source> [--json]',
  flags: {},
  async run(args, out) {
    const path = sourcePath(args, 'db:diff');
    const d = await client(args).get<DiffReport>(`${path}/diff`);
    const lines = [
      ...d.missing.map((t) => `- ${t} (made by the migrations, not in the database)`),
      ...d.extra.map((t) => `+ ${t} (in the database, made by no migration)`),
      ...d.different.flatMap((t) => [`~ ${t.table}`, ...t.differences.map((x) => `    ${x}`)]),
      ...(d.failed ? [`failed ${d.failed.migration}: the migrations stop there (${d.failed.message})`] : []),
      ...d.pending.map((m) => `pending ${m}`),
      ...d.changed.map((m) => `changed ${m} (edited after it was applied)`),
    ];
    out.result(d, () => lines.join('\n') || 'no difference');
    return EXIT.OK;
  },
};

export const MIGRATE_COMMANDS: readonly Command[] = [migrateNew, migrateStatus, migrateUp, migrateDown, migrateRedo, dbDiff];
