import { flagString, required, usage } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { table } from '../output.js';
import { base, command, enc, list, listCommand } from './auth.js';
import { client } from './node.js';

/**
 * Who reaches what as an end user: policies per role and table, a user's role, the signup
 * mode, invitations, and the project's public client key and service key.
 */
interface PolicyInfo {
  role: string;
  table: string;
  operations: string[];
  ownerColumn?: string;
}

const OPS = ['read', 'create', 'update', 'delete'];
const SIGNUP_MODES = ['closed', 'invite', 'open'];

export const policyListCommand = listCommand<PolicyInfo>('policy:list', "List a project's policies (what end-user roles may do on which tables)", 'policies', (rows) =>
  rows.length === 0
    ? 'no policies: end users (roles authenticated and anon) reach no table'
    : table([['ROLE', 'TABLE', 'OPERATIONS', 'ROWS'], ...rows.map((p) => [p.role, p.table, p.operations.join(','), p.ownerColumn ? `${p.ownerColumn} = subject` : 'all'])]),
);

export const policySetCommand = command({
  name: 'policy:set',
  summary: 'Open a table to a role: which operations, on all rows or only the rows a user owns',
  usage: 'mobo policy:set <project> <role> <table> --ops read,create,update,delete [--owner-column COLUMN] [--json]',
  details:
    'Roles: authenticated (every signed-up user), anon (the public client key), or a custom role. TABLE may be a pattern (orders, order_*, main.orders, *).\n--owner-column owner_id: reads, updates and deletes see only rows whose owner_id is the user; inserts and updates get owner_id set to the user.\nSetting a policy again for the same role and table replaces it.\nExample: mobo policy:set shop authenticated orders --ops read,create --owner-column owner_id',
  async run(args, out) {
    const project = required(args, 0, 'a project', 'policy:set');
    const role = required(args, 1, 'a role', 'policy:set');
    const tableName = required(args, 2, 'a table', 'policy:set');
    const operations = list(flagString(args, 'ops'));
    if (!operations?.length) throw usage(`policy:set needs --ops, a comma list of ${OPS.join(', ')}`);
    const body: Record<string, unknown> = { role, table: tableName, operations };
    const owner = flagString(args, 'owner-column');
    if (owner) body.ownerColumn = owner;
    const policy = await client(args).post<PolicyInfo>(`${base(project)}/policies`, body);
    out.result(policy, () => `role ${policy.role} may ${policy.operations.join(', ')} on ${policy.table} (${policy.ownerColumn ? `rows whose ${policy.ownerColumn} is the user` : 'all rows'})`);
    return EXIT.OK;
  },
});

export const policyRemoveCommand = command({
  name: 'policy:remove',
  summary: 'Remove a policy; live realtime subscriptions it allowed end within a second',
  usage: 'mobo policy:remove <project> <role> <table> [--json]',
  async run(args, out) {
    const project = required(args, 0, 'a project', 'policy:remove');
    const role = required(args, 1, 'a role', 'policy:remove');
    const tableName = required(args, 2, 'a table', 'policy:remove');
    const removed = await client(args).delete<unknown>(`${base(project)}/policies/${enc(role)}/${enc(tableName)}`);
    out.result(removed, () => `removed the policy of ${role} on ${tableName}`);
    return EXIT.OK;
  },
});

export const userRoleCommand = command({
  name: 'user:role',
  summary: "Change a user's role; it applies to the user's current tokens and live subscriptions at once",
  usage: 'mobo user:role <project> <user-id|email> <role> [--json]',
  async run(args, out) {
    const project = required(args, 0, 'a project', 'user:role');
    const user = required(args, 1, 'a user id or email', 'user:role');
    const role = required(args, 2, 'a role', 'user:role');
    const changed = await client(args).post<{ email: string; role: string }>(`${base(project)}/users/${enc(user)}/role`, { role });
    out.result(changed, () => `${changed.email} now has role ${changed.role}`);
    return EXIT.OK;
  },
});

export const userInviteCommand = command({
  name: 'user:invite',
  summary: 'Invite an email: with signup set to invite, only invited emails may sign up',
  usage: 'mobo user:invite <project> <email> [--role R] [--json]',
  async run(args, out) {
    const project = required(args, 0, 'a project', 'user:invite');
    const email = required(args, 1, 'an email', 'user:invite');
    const role = flagString(args, 'role');
    const invite = await client(args).post<{ email: string; role: string }>(`${base(project)}/invites`, role ? { email, role } : { email });
    out.result(invite, () => `invited ${invite.email} (role ${invite.role} on signup)`);
    return EXIT.OK;
  },
});

export const authSignupCommand = command({
  name: 'auth:signup',
  summary: 'Show or set who may sign up to a project: closed (the default), invite or open',
  usage: 'mobo auth:signup <project> [closed|invite|open] [--json]',
  async run(args, out) {
    const project = required(args, 0, 'a project', 'auth:signup');
    const mode = args.positional[1];
    if (mode !== undefined && !SIGNUP_MODES.includes(mode)) throw usage(`auth:signup: mode "${mode}" is not one of ${SIGNUP_MODES.join(', ')}`);
    const node = client(args);
    const result = mode === undefined ? await node.get<{ signup: string }>(`${base(project)}/signup`) : await node.post<{ signup: string }>(`${base(project)}/signup`, { signup: mode });
    out.result(result, () => `signup on ${project}: ${result.signup}`);
    return EXIT.OK;
  },
});

interface ClientKeys {
  publicKey: string;
  serviceKey: string;
  publicKeyId: string;
  serviceKeyId: string;
}

export const keysShowCommand = command({
  name: 'keys:show',
  summary: "Show a project's public client key (role anon), service key (role admin) and realtime app key and secret",
  usage: 'mobo keys:show <project> [--json]',
  details:
    'The public key may ship in a browser or app: it reaches only what policies open to anon. The service key and the realtime secret are for your servers only.\nRevoke one with mobo key:revoke <project> <key-id>; keys:show then makes a new one.',
  async run(args, out) {
    const project = required(args, 0, 'a project', 'keys:show');
    const node = client(args);
    const keys = await node.get<ClientKeys>(`${base(project)}/client-keys`);
    const realtime = await node.get<{ appId: string; key: string; secret: string }>(`${base(project)}/realtime`).catch(() => undefined);
    const shown = { ...keys, realtime: realtime ?? null };
    out.result(shown, () =>
      table([
        ['KEY', 'ID', 'VALUE'],
        ['public (anon)', keys.publicKeyId, keys.publicKey],
        ['service (admin)', keys.serviceKeyId, keys.serviceKey],
        ...(realtime ? [['realtime app key', realtime.appId, realtime.key], ['realtime secret', realtime.appId, realtime.secret]] : []),
      ]),
    );
    return EXIT.OK;
  },
});

export const ACCESS_COMMANDS: readonly Command[] = [policyListCommand, policySetCommand, policyRemoveCommand, userRoleCommand, userInviteCommand, authSignupCommand, keysShowCommand];
