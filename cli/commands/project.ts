import { flagNumber, flagString, required, usage, type ParsedArgs } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { table } from '../output.js';
import { client } from './node.js';

const enc = encodeURIComponent;

/** `<project> <source>` arguments as the admin API path of that source. */
function sourcePath(args: ParsedArgs, command: string): { project: string; name: string; path: string } {
  const project = required(args, 0, 'a project', command);
  const name = required(args, 1, 'a source name', command);
  return { project, name, path: `/v1/admin/projects/${enc(project)}/sources/${enc(name)}` };
}

interface SourceInfo {
  project: string;
  name: string;
  kind: string;
  location: string;
}

export const projectCreateCommand: Command = {
  name: 'project:create',
  summary: 'Create a project with its default source "db" (--bare: without one)',
  usage: 'mobo project:create <name> [--bare] [--json]',
  flags: { bare: 'boolean' },
  details:
    'The default source is a SQLite file in the data directory, or, with ds.provision.postgres.url set, a database (or schema: ds.provision.postgres.per) and login role of its own on that cluster (ds.provision.mysql.url: the same on MySQL/MariaDB). project:delete --force drops it.',
  async run(args, out) {
    const name = required(args, 0, 'a project name', 'project:create');
    const result = await client(args).post<{ project: string; source?: SourceInfo }>('/v1/admin/projects', { name, ...(args.flags.bare ? {} : { source: 'db' }) });
    out.result(result, () => `created project ${result.project}${result.source ? ` with source ${result.source.name} (${result.source.kind})` : ''}`);
    return EXIT.OK;
  },
};

export const projectListCommand: Command = {
  name: 'project:list',
  summary: 'List projects',
  usage: 'mobo project:list [--json]',
  flags: {},
  async run(args, out) {
    const rows = await client(args).get<Array<{ project: string; sources: number; created_at: string }>>('/v1/admin/projects');
    out.result(rows, () => table([['PROJECT', 'SOURCES', 'CREATED'], ...rows.map((r) => [r.project, String(r.sources), r.created_at])]));
    return EXIT.OK;
  },
};

export const projectDeleteCommand: Command = {
  name: 'project:delete',
  summary: 'Delete a project (--force also removes its sources; the data of sources you added is not touched, the provisioned default source is dropped)',
  usage: 'mobo project:delete <name> [--force] [--json]',
  flags: { force: 'boolean' },
  async run(args, out) {
    const name = required(args, 0, 'a project name', 'project:delete');
    const result = await client(args).delete<unknown>(`/v1/admin/projects/${enc(name)}${args.flags.force ? '?force=true' : ''}`);
    out.result(result, () => `deleted project ${name}`);
    return EXIT.OK;
  },
};

export const sourceAddCommand: Command = {
  name: 'source:add',
  summary: 'Add a data source to a project (postgres, sqlite, mysql, redis, mongodb)',
  usage: 'mobo source:add <project> <name> --kind KIND --url URL [--namespace NS] [--pool-max N] [--feed-url URL] [--no-test] [--json]',
  flags: { kind: 'string', url: 'string', namespace: 'string', 'pool-max': 'string', 'feed-url': 'string', 'no-test': 'boolean' },
  details: 'The connection is tried before it is saved (skip with --no-test). Credentials are stored encrypted and never shown again. A Postgres URL may name its schema (?schema=s1); behind a pooler in transaction mode give the feed a direct URL (--feed-url).\nExample: mobo source:add shop main --kind postgres --url postgres://app@127.0.0.1:5432/shop',
  async run(args, out) {
    const project = required(args, 0, 'a project', 'source:add');
    const name = required(args, 1, 'a source name', 'source:add');
    const kind = flagString(args, 'kind');
    const url = flagString(args, 'url');
    if (!kind || !url) throw usage('source:add needs --kind and --url');
    const body: Record<string, unknown> = { name, kind, url, test: !args.flags['no-test'] };
    const namespace = flagString(args, 'namespace');
    if (namespace) body.namespace = namespace;
    const feedUrl = flagString(args, 'feed-url');
    if (feedUrl) body.feedUrl = feedUrl;
    if (flagString(args, 'pool-max')) body.poolMax = flagNumber(args, 'pool-max', 10);
    const result = await client(args).post<SourceInfo>(`/v1/admin/projects/${enc(project)}/sources`, body);
    out.result(result, () => `added ${result.kind} source ${result.project}/${result.name} (${result.location})`);
    return EXIT.OK;
  },
};

export const sourceListCommand: Command = {
  name: 'source:list',
  summary: "List a project's data sources (credentials never shown)",
  usage: 'mobo source:list <project> [--json]',
  flags: {},
  async run(args, out) {
    const project = required(args, 0, 'a project', 'source:list');
    const rows = await client(args).get<SourceInfo[]>(`/v1/admin/projects/${enc(project)}/sources`);
    out.result(rows, () => table([['SOURCE', 'KIND', 'LOCATION'], ...rows.map((r) => [r.name, r.kind, r.location])]));
    return EXIT.OK;
  },
};

export const sourceRemoveCommand: Command = {
  name: 'source:remove',
  summary: 'Remove a data source (stops its connection; its data is not touched)',
  usage: 'mobo source:remove <project> <name> [--json]',
  flags: {},
  async run(args, out) {
    const { project, name, path } = sourcePath(args, 'source:remove');
    const result = await client(args).delete<unknown>(path);
    out.result(result, () => `removed ${project}/${name}`);
    return EXIT.OK;
  },
};

export const sourceTestCommand: Command = {
  name: 'source:test',
  summary: "Check a source's connection (exit 4 when it is down)",
  usage: 'mobo source:test <project> <name> [--json]',
  flags: {},
  async run(args, out) {
    const { project, name, path } = sourcePath(args, 'source:test');
    const status = await client(args).post<{ connected: boolean; latencyMs?: number; lastError?: string }>(`${path}/test`);
    out.result(status, () =>
      status.connected ? `${project}/${name}: connected (${(status.latencyMs ?? 0).toFixed(1)} ms)` : `${project}/${name}: DOWN ${status.lastError ?? ''}`,
    );
    return status.connected ? EXIT.OK : EXIT.UNHEALTHY;
  },
};

export const dbTablesCommand: Command = {
  name: 'db:tables',
  summary: 'List the tables (or collections) of a source, with columns and keys',
  usage: 'mobo db:tables <project> <source> [--json]',
  flags: {},
  async run(args, out) {
    const { path } = sourcePath(args, 'db:tables');
    const tables = await client(args).get<Array<{ name: string; primaryKey: string[]; columns: Array<{ name: string; type: string; nullable: boolean }> }>>(`${path}/tables`);
    out.result(tables, () =>
      tables.length === 0
        ? '(no tables)'
        : table([
            ['TABLE', 'PRIMARY KEY', 'COLUMNS'],
            ...tables.map((t) => [t.name, t.primaryKey.join(',') || '-', t.columns.map((c) => `${c.name}:${c.type}${c.nullable ? '?' : ''}`).join(' ')]),
          ]),
    );
    return EXIT.OK;
  },
};
