import { randomBytes } from 'node:crypto';
import { flagNumber, flagString, required, usage, type ParsedArgs } from '../args.js';
import type { Command } from '../command.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { table, type Output } from '../output.js';
import type { NodeClient } from '../client.js';
import { client } from './node.js';
import { isMoboError } from '../../runtime/index.js';

export const enc = encodeURIComponent;
export const base = (project: string): string => `/v1/admin/projects/${enc(project)}`;
export const list = (value: string | undefined): string[] | undefined => value?.split(',').map((s) => s.trim()).filter(Boolean);

interface KeyInfo {
  id: string;
  project: string;
  name: string | null;
  prefix: string;
  role: string;
  scopes: { tables?: string[]; operations?: string[]; cidrs?: string[] };
  service_account: string | null;
  created_at: string;
  revoked_at: string | null;
  key?: string;
}

interface UserInfo {
  id: string;
  email: string;
  role: string;
  created_at: string;
  disabled: boolean;
}

/** MagAuth's not-found codes mean exit 5, like a missing component. */
export function command(spec: Omit<Command, 'run'> & { run(args: ParsedArgs, out: Output): Promise<ExitCode> }): Command {
  return {
    ...spec,
    async run(args, out) {
      try {
        return await spec.run(args, out);
      } catch (err) {
        if (!isMoboError(err) || !err.code.endsWith('_NOT_FOUND')) throw err;
        out.error(err);
        return EXIT.NOT_FOUND;
      }
    },
  };
}

/** A secret printed once: on its own line, so `| tail -1` or --json picks it up. */
export function printSecret(out: Output, value: unknown, summary: string, secret: string): void {
  out.result(value, () => `${summary}\n${secret}\nStore it now: it is not shown again.`);
}

/** `mobo <name> <project>`: a project's list, as a table or JSON. */
export function listCommand<T>(name: string, summary: string, resource: string, render: (rows: T[]) => string): Command {
  return command({
    name,
    summary,
    usage: `mobo ${name} <project> [--json]`,
    flags: {},
    async run(args, out) {
      const project = required(args, 0, 'a project', name);
      const rows = await client(args).get<T[]>(`${base(project)}/${resource}`);
      out.result(rows, () => render(rows));
      return EXIT.OK;
    },
  });
}

/** `mobo <name> <project> <target>`: one call on one thing of a project. */
function targetCommand<T>(spec: {
  name: string;
  summary: string;
  target: string;
  call(node: NodeClient, path: string, target: string): Promise<T>;
  show(out: Output, result: T, target: string): void;
}): Command {
  return command({
    name: spec.name,
    summary: spec.summary,
    usage: `mobo ${spec.name} <project> <${spec.target}> [--json]`,
    flags: {},
    async run(args, out) {
      const project = required(args, 0, 'a project', spec.name);
      const target = required(args, 1, `a ${spec.target}`, spec.name);
      spec.show(out, await spec.call(client(args), base(project), target), target);
      return EXIT.OK;
    },
  });
}

function scopeText(k: KeyInfo): string {
  const parts = [k.scopes.tables && `tables=${k.scopes.tables.join(',')}`, k.scopes.operations && `ops=${k.scopes.operations.join(',')}`, k.scopes.cidrs && `cidrs=${k.scopes.cidrs.join(',')}`];
  return parts.filter(Boolean).join(' ') || '-';
}

export const keyCreateCommand = command({
  name: 'key:create',
  summary: 'Create an API key for a project (the key is printed once)',
  usage: 'mobo key:create <project> [--role R] [--name N] [--tables T1,T2] [--ops read,create,update,delete] [--cidrs CIDR,…] [--service-account SA] [--json]',
  flags: { role: 'string', name: 'string', tables: 'string', ops: 'string', cidrs: 'string', 'service-account': 'string' },
  details:
    'Keys look like ak_<project>_<secret>; only a hash is stored. Role defaults to viewer; with --service-account the key acts as that account, with its role.\nScopes narrow the role: tables (patterns with *, or source.table), operations, client IP ranges.\nExample: mobo key:create shop --role developer --tables orders,items --ops read,create --cidrs 10.0.0.0/8',
  async run(args, out) {
    const project = required(args, 0, 'a project', 'key:create');
    const scopes: Record<string, string[]> = {};
    for (const [flag, name] of [['tables', 'tables'], ['ops', 'operations'], ['cidrs', 'cidrs']] as const) {
      const values = list(flagString(args, flag));
      if (values) scopes[name] = values;
    }
    const body: Record<string, unknown> = { scopes };
    for (const [flag, name] of [['role', 'role'], ['name', 'name'], ['service-account', 'serviceAccount']] as const) {
      const value = flagString(args, flag);
      if (value) body[name] = value;
    }
    const key = await client(args).post<KeyInfo>(`${base(project)}/keys`, body);
    printSecret(out, key, `created API key ${key.id} (role ${key.role}) in ${project}`, key.key ?? '');
    return EXIT.OK;
  },
});

export const keyListCommand = listCommand<KeyInfo>('key:list', "List a project's API keys (never their secrets)", 'keys', (keys) =>
  table([['ID', 'PREFIX', 'ROLE', 'SCOPES', 'STATE', 'CREATED'], ...keys.map((k) => [k.id, k.prefix, k.service_account ? `${k.role} (sa)` : k.role, scopeText(k), k.revoked_at ? 'revoked' : 'active', k.created_at])]),
);

export const keyRotateCommand = targetCommand<KeyInfo>({
  name: 'key:rotate',
  summary: 'Give an API key a new secret (printed once); the old one stops working at once',
  target: 'key-id',
  call: (node, path, id) => node.post(`${path}/keys/${enc(id)}/rotate`),
  show: (out, key) => printSecret(out, key, `rotated API key ${key.id}`, key.key ?? ''),
});

export const keyRevokeCommand = targetCommand<KeyInfo>({
  name: 'key:revoke',
  summary: 'Revoke an API key; it stops working at once on every node',
  target: 'key-id',
  call: (node, path, id) => node.delete(`${path}/keys/${enc(id)}`),
  show: (out, key) => out.result(key, () => `revoked API key ${key.id}`),
});

export const keyRotateSigningCommand = command({
  name: 'key:rotate-signing',
  summary: 'Start signing tokens with a new key; tokens signed before stay valid until they expire',
  usage: 'mobo key:rotate-signing [--json]',
  flags: {},
  async run(args, out) {
    const rotated = await client(args).post<{ kid: string; retired: string[] }>('/v1/admin/signing-keys/rotate');
    out.result(rotated, () => `signing with ${rotated.kid}; retired ${rotated.retired.join(', ') || 'none'} (still verifying until their tokens expire)`);
    return EXIT.OK;
  },
});

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export const userCreateCommand = command({
  name: 'user:create',
  summary: 'Create a user in a project (a password is generated and printed once unless --password-stdin)',
  usage: 'mobo user:create <project> <email> [--role R] [--password-stdin] [--json]',
  flags: { role: 'string', 'password-stdin': 'boolean' },
  details: 'Passwords are never taken as arguments (they would show in ps and shell history). Role defaults to authenticated (what policies open; no table without one).',
  async run(args, out) {
    const project = required(args, 0, 'a project', 'user:create');
    const email = required(args, 1, 'an email', 'user:create');
    const generated = args.flags['password-stdin'] ? undefined : randomBytes(18).toString('base64url');
    const password = generated ?? (await readStdin());
    const body: Record<string, unknown> = { email, password };
    const role = flagString(args, 'role');
    if (role) body.role = role;
    const user = await client(args).post<UserInfo>(`${base(project)}/users`, body);
    if (generated) printSecret(out, { ...user, password: generated }, `created user ${user.email} (${user.id}, role ${user.role}); password:`, generated);
    else out.result(user, () => `created user ${user.email} (${user.id}, role ${user.role})`);
    return EXIT.OK;
  },
});

export const userListCommand = listCommand<UserInfo>('user:list', "List a project's users", 'users', (users) =>
  table([['ID', 'EMAIL', 'ROLE', 'STATE', 'CREATED'], ...users.map((u) => [u.id, u.email, u.role, u.disabled ? 'disabled' : 'active', u.created_at])]),
);

export const userDisableCommand = targetCommand<UserInfo>({
  name: 'user:disable',
  summary: 'Disable a user: sign-in refused, sessions revoked, tokens refused at once',
  target: 'user-id|email',
  call: (node, path, id) => node.post(`${path}/users/${enc(id)}/disable`),
  show: (out, user) => out.result(user, () => `disabled user ${user.email}`),
});

type Grant = { tables: string[]; operations: string[] };

/** `orders,items:read,create;audit:read` → grants. */
export function parseGrants(spec: string): Grant[] {
  return spec.split(';').filter((s) => s.trim()).map((entry) => {
    const [tables, ops, extra] = entry.split(':');
    const grant = { tables: list(tables) ?? [], operations: list(ops) ?? [] };
    if (extra !== undefined || grant.tables.length === 0 || grant.operations.length === 0) throw usage(`--allow entries are TABLES:OPERATIONS, got "${entry}"`);
    return grant;
  });
}

export const roleCreateCommand = command({
  name: 'role:create',
  summary: 'Create a custom role: which operations on which tables',
  usage: 'mobo role:create <project> <name> --allow "TABLES:OPS[;TABLES:OPS…]" [--json]',
  flags: { allow: 'string' },
  details: 'TABLES and OPS are comma lists; tables may use * or source.table.\nExample: mobo role:create shop support --allow "orders,customers:read;tickets:read,create,update"',
  async run(args, out) {
    const project = required(args, 0, 'a project', 'role:create');
    const name = required(args, 1, 'a role name', 'role:create');
    const allow = flagString(args, 'allow');
    if (!allow) throw usage('role:create needs --allow "TABLES:OPS"');
    const role = await client(args).post<{ name: string }>(`${base(project)}/roles`, { name, grants: parseGrants(allow) });
    out.result(role, () => `created role ${role.name} in ${project}`);
    return EXIT.OK;
  },
});

export const roleListCommand = listCommand<{ name: string; builtIn: boolean; grants?: Grant[] }>('role:list', "List a project's roles (built in and custom)", 'roles', (roles) =>
  table([['ROLE', 'KIND', 'GRANTS'], ...roles.map((r) => [r.name, r.builtIn ? 'built-in' : 'custom', r.grants?.map((g) => `${g.tables.join(',')}:${g.operations.join(',')}`).join('; ') || 'none (policies only)'])]),
);

export const roleDeleteCommand = targetCommand<unknown>({
  name: 'role:delete',
  summary: 'Delete a custom role (credentials holding it are refused from then on)',
  target: 'role',
  call: (node, path, name) => node.delete(`${path}/roles/${enc(name)}`),
  show: (out, result, name) => out.result(result, () => `deleted role ${name}`),
});

export const tokenIssueCommand = command({
  name: 'token:issue',
  summary: 'Issue an access token for testing (signed like a real one)',
  usage: 'mobo token:issue <project> --role R [--sub SUBJECT] [--ttl SECONDS] [--json]',
  flags: { role: 'string', sub: 'string', ttl: 'string' },
  async run(args, out) {
    const project = required(args, 0, 'a project', 'token:issue');
    const role = flagString(args, 'role');
    if (!role) throw usage('token:issue needs --role');
    const body: Record<string, unknown> = { role };
    const sub = flagString(args, 'sub');
    if (sub) body.sub = sub;
    if (flagString(args, 'ttl')) body.ttlSeconds = flagNumber(args, 'ttl', 900);
    const token = await client(args).post<{ access_token: string }>(`${base(project)}/tokens`, body);
    out.result(token, () => token.access_token);
    return EXIT.OK;
  },
});

export const AUTH_COMMANDS: readonly Command[] = [
  keyCreateCommand,
  keyListCommand,
  keyRotateCommand,
  keyRevokeCommand,
  keyRotateSigningCommand,
  userCreateCommand,
  userListCommand,
  userDisableCommand,
  roleCreateCommand,
  roleListCommand,
  roleDeleteCommand,
  tokenIssueCommand,
];
