import { schemaErrors } from '../../actors/schema/errors.js';
import { registerErrors } from '../../runtime/index.js';
import { flagString, flagStrings, required, usage, type ParsedArgs } from '../args.js';
import { parseColumn, parseDefault } from '../column-spec.js';
import { parseForeignKey } from '../foreign-key-spec.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';
import { table as grid } from '../output.js';
import { client } from './node.js';

// The CLI does not boot the components: it knows the schema codes so that an error prints its code (SCHEMA_NOT_FOUND exits 5).
registerErrors('schema', schemaErrors.defs);

const enc = encodeURIComponent;

interface Described {
  name: string;
  columns: Array<{ name: string; type: string; nativeType: string; nullable: boolean; default: string | null; identity: boolean }>;
  primaryKey: string[];
  foreignKeys: Array<{ name: string; columns: string[]; references: { table: string; columns: string[] }; onDelete: string }>;
  indexes: Array<{ name: string; columns: string[]; unique: boolean }>;
  checks: Array<{ name: string; expression: string }>;
}

type ChangeReply = { dryRun?: true; sql: string[]; table?: Described };

/** `<project> <source>` as the admin API path of that source. */
function sourcePath(args: ParsedArgs, command: string): string {
  const project = required(args, 0, 'a project', command);
  const source = required(args, 1, 'a source', command);
  return `/v1/admin/projects/${enc(project)}/sources/${enc(source)}`;
}

/** `<project> <source> <table>` as the admin API path of that table (or of the source's tables). */
function tablePath(args: ParsedArgs, command: string, withTable = true): { path: string; table: string } {
  const source = sourcePath(args, command);
  const table = withTable ? required(args, 2, 'a table', command) : '';
  return { path: `${source}/tables${withTable ? `/${enc(table)}` : ''}`, table };
}

const dry = (args: ParsedArgs): string => (args.flags['dry-run'] ? '?dryRun=true' : '');

export function describeText(d: Described): string {
  const rows = d.columns.map((c) => [c.name, c.type, c.nativeType, c.nullable ? '' : 'not null', c.default ?? (c.identity ? 'identity' : ''), d.primaryKey.includes(c.name) ? 'pk' : '']);
  const lines = [`table ${d.name}`, grid([['COLUMN', 'TYPE', 'NATIVE', 'NULL', 'DEFAULT', 'KEY'], ...rows])];
  for (const i of d.indexes) lines.push(`index ${i.name}${i.unique ? ' unique' : ''} (${i.columns.join(', ')})`);
  for (const f of d.foreignKeys) lines.push(`foreign key ${f.name} (${f.columns.join(', ')}) → ${f.references.table} (${f.references.columns.join(', ')}) on delete ${f.onDelete}`);
  for (const c of d.checks) lines.push(`check ${c.name}: ${c.expression}`);
  return lines.join('\n');
}

function show(out: Output, result: ChangeReply, done: string): void {
  out.result(result, () => (result.dryRun ? result.sql.join(';\n') + ';' : result.table ? `${done}\n${describeText(result.table)}` : done));
}

/** A schema command: its flags (all take --dry-run) and how it calls the API. */
function change(name: string, summary: string, usageText: string, flags: Command['flags'], call: (args: ParsedArgs) => Promise<{ reply: ChangeReply; done: string }>, details?: string): Command {
  return {
    name,
    summary,
    usage: usageText,
    flags: { ...flags, 'dry-run': 'boolean' },
    ...(details ? { details } : {}),
    async run(args, out) {
      const { reply, done } = await call(args);
      show(out, reply, done);
      return EXIT.OK;
    },
  };
}

const tableCreate = change(
  'table:create',
  'Create a table (portable column types: text integer float boolean timestamp json bytes uuid)',
  'mobo table:create <project> <source> <table> --column "<name> <type> [not null] [unique] [identity] [primary key] [default v] [check (expr)]"… [--pk col,col] [--fk "<col>[,…] references <table>(<col>[,…]) [on delete cascade|set null|…]"]… [--dry-run] [--json]',
  { column: 'strings', pk: 'string', fk: 'strings' },
  async (args) => {
    const { path } = tablePath(args, 'table:create', false);
    const name = required(args, 2, 'a table', 'table:create');
    const columns = flagStrings(args, 'column').map(parseColumn);
    if (columns.length === 0) throw usage('table:create needs at least one --column "<name> <type> …"', 'column');
    const pk = flagString(args, 'pk');
    const foreignKeys = flagStrings(args, 'fk').map(parseForeignKey);
    const body = { name, columns, ...(pk ? { primaryKey: pk.split(',').map((s) => s.trim()) } : {}), ...(foreignKeys.length > 0 ? { foreignKeys } : {}) };
    return { reply: await client(args).post<ChangeReply>(`${path}${dry(args)}`, body), done: `created table ${name}` };
  },
  'Example: mobo table:create shop main todos --column "id integer identity" --column "title text not null" --column "list integer" --fk "list references lists(id) on delete cascade"',
);

const viewCreate = change('view:create', 'Create a view (served by REST like a table; its SELECT in the backend\'s own SQL)', 'mobo view:create <project> <source> <view> --select "SELECT …" [--dry-run] [--json]', { select: 'string' }, async (args) => {
  const path = sourcePath(args, 'view:create');
  const name = required(args, 2, 'a view', 'view:create');
  const select = flagString(args, 'select');
  if (!select) throw usage('view:create needs --select "SELECT …"', 'select');
  return { reply: await client(args).post<ChangeReply>(`${path}/views${dry(args)}`, { name, select }), done: `created view ${name}` };
});

const viewDrop = change('view:drop', 'Drop a view', 'mobo view:drop <project> <source> <view> [--dry-run] [--json]', {}, async (args) => {
  const path = sourcePath(args, 'view:drop');
  const name = required(args, 2, 'a view', 'view:drop');
  return { reply: await client(args).delete<ChangeReply>(`${path}/views/${enc(name)}${dry(args)}`), done: `dropped view ${name}` };
});

const tableRename = change('table:rename', 'Rename a table', 'mobo table:rename <project> <source> <table> <new-name> [--dry-run] [--json]', {}, async (args) => {
  const { path, table } = tablePath(args, 'table:rename');
  const to = required(args, 3, 'the new name', 'table:rename');
  return { reply: await client(args).patch<ChangeReply>(`${path}${dry(args)}`, { name: to }), done: `renamed table ${table} to ${to}` };
});

const tableDrop = change('table:drop', 'Drop a table and its rows', 'mobo table:drop <project> <source> <table> [--dry-run] [--json]', {}, async (args) => {
  const { path, table } = tablePath(args, 'table:drop');
  return { reply: await client(args).delete<ChangeReply>(`${path}${dry(args)}`), done: `dropped table ${table}` };
});

const columnAdd = change('column:add', 'Add a column', 'mobo column:add <project> <source> <table> "<name> <type> [not null] [unique] [default v] …" [--dry-run] [--json]', {}, async (args) => {
  const { path, table } = tablePath(args, 'column:add');
  const column = parseColumn(required(args, 3, 'a column ("<name> <type> …")', 'column:add'));
  return { reply: await client(args).post<ChangeReply>(`${path}/columns${dry(args)}`, column), done: `added column ${String(column.name)} to ${table}` };
});

const columnAlter = change(
  'column:alter',
  "Change a column's type, nullability or default (the rows must fit)",
  'mobo column:alter <project> <source> <table> <column> [--type T] [--not-null | --nullable] [--default V | --no-default] [--dry-run] [--json]',
  { type: 'string', 'not-null': 'boolean', nullable: 'boolean', default: 'string', 'no-default': 'boolean' },
  async (args) => {
    const { path, table } = tablePath(args, 'column:alter');
    const column = required(args, 3, 'a column', 'column:alter');
    const body: Record<string, unknown> = {};
    const type = flagString(args, 'type');
    if (type) body.type = type;
    if (args.flags['not-null'] && args.flags.nullable) throw usage('--not-null and --nullable contradict each other');
    if (args.flags['not-null']) body.nullable = false;
    if (args.flags.nullable) body.nullable = true;
    const def = flagString(args, 'default');
    if (def !== undefined) body.default = parseDefault(def, column);
    if (args.flags['no-default']) body.default = null;
    if (Object.keys(body).length === 0) throw usage('column:alter needs --type, --not-null, --nullable, --default or --no-default');
    return { reply: await client(args).patch<ChangeReply>(`${path}/columns/${enc(column)}${dry(args)}`, body), done: `altered column ${column} of ${table}` };
  },
);

const columnRename = change('column:rename', 'Rename a column', 'mobo column:rename <project> <source> <table> <column> <new-name> [--dry-run] [--json]', {}, async (args) => {
  const { path, table } = tablePath(args, 'column:rename');
  const column = required(args, 3, 'a column', 'column:rename');
  const to = required(args, 4, 'the new name', 'column:rename');
  return { reply: await client(args).patch<ChangeReply>(`${path}/columns/${enc(column)}${dry(args)}`, { name: to }), done: `renamed column ${column} of ${table} to ${to}` };
});

const columnDrop = change('column:drop', 'Drop a column', 'mobo column:drop <project> <source> <table> <column> [--dry-run] [--json]', {}, async (args) => {
  const { path, table } = tablePath(args, 'column:drop');
  const column = required(args, 3, 'a column', 'column:drop');
  return { reply: await client(args).delete<ChangeReply>(`${path}/columns/${enc(column)}${dry(args)}`), done: `dropped column ${column} of ${table}` };
});

const indexCreate = change('index:create', 'Create an index on one or more columns', 'mobo index:create <project> <source> <table> <column>… [--unique] [--name N] [--dry-run] [--json]', { unique: 'boolean', name: 'string' }, async (args) => {
  const { path, table } = tablePath(args, 'index:create');
  const columns = args.positional.slice(3);
  if (columns.length === 0) throw usage('index:create needs at least one column');
  const name = flagString(args, 'name');
  const body = { columns, ...(args.flags.unique ? { unique: true } : {}), ...(name ? { name } : {}) };
  return { reply: await client(args).post<ChangeReply>(`${path}/indexes${dry(args)}`, body), done: `created index on ${table} (${columns.join(', ')})` };
});

const indexDrop = change('index:drop', 'Drop an index', 'mobo index:drop <project> <source> <table> <index> [--dry-run] [--json]', {}, async (args) => {
  const { path, table } = tablePath(args, 'index:drop');
  const index = required(args, 3, 'an index', 'index:drop');
  return { reply: await client(args).delete<ChangeReply>(`${path}/indexes/${enc(index)}${dry(args)}`), done: `dropped index ${index} of ${table}` };
});

const tableDescribe: Command = {
  name: 'table:describe',
  summary: "A table's columns, keys, foreign keys, indexes and checks",
  usage: 'mobo table:describe <project> <source> <table> [--json]',
  flags: {},
  async run(args, out) {
    const { path } = tablePath(args, 'table:describe');
    const d = await client(args).get<Described>(path);
    out.result(d, () => describeText(d));
    return EXIT.OK;
  },
};

export const SCHEMA_COMMANDS: readonly Command[] = [tableCreate, tableDescribe, tableRename, tableDrop, columnAdd, columnAlter, columnRename, columnDrop, indexCreate, indexDrop, viewCreate, viewDrop];
