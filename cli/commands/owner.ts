import { randomBytes } from 'node:crypto';
import { required } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { table } from '../output.js';
import { command, enc, printSecret, readStdin } from './auth.js';
import { client } from './node.js';

interface OwnerInfo {
  email: string;
  created_at: string;
  disabled: boolean;
}

const ownerCreateCommand = command({
  name: 'owner:create',
  summary: "Create an owner account: signs in to the admin page (/_/) with email and password, with the admin token's reach",
  usage: 'mobo owner:create <email> [--password-stdin] [--json]',
  flags: { 'password-stdin': 'boolean' },
  details: 'A password is generated and printed once unless --password-stdin (passwords are never taken as arguments).',
  async run(args, out) {
    const email = required(args, 0, 'an email', 'owner:create');
    const generated = args.flags['password-stdin'] ? undefined : randomBytes(18).toString('base64url');
    const password = generated ?? (await readStdin());
    const owner = await client(args).post<OwnerInfo>('/v1/admin/owners', { email, password });
    if (generated) printSecret(out, { ...owner, password: generated }, `created owner account ${owner.email}; password:`, generated);
    else out.result(owner, () => `created owner account ${owner.email}`);
    return EXIT.OK;
  },
});

const ownerListCommand = command({
  name: 'owner:list',
  summary: "List the node's owner accounts",
  usage: 'mobo owner:list [--json]',
  flags: {},
  async run(args, out) {
    const owners = await client(args).get<OwnerInfo[]>('/v1/admin/owners');
    out.result(owners, () => (owners.length === 0 ? '(no owner accounts)' : table([['EMAIL', 'STATE', 'CREATED'], ...owners.map((o) => [o.email, o.disabled ? 'disabled' : 'active', o.created_at])])));
    return EXIT.OK;
  },
});

/** `mobo owner:<verb> <email>`: one call on one account. */
function ownerAction(verb: 'disable' | 'enable' | 'remove', summary: string): Command {
  return command({
    name: `owner:${verb}`,
    summary,
    usage: `mobo owner:${verb} <email> [--json]`,
    flags: {},
    async run(args, out) {
      const email = required(args, 0, 'an email', `owner:${verb}`);
      const path = `/v1/admin/owners/${enc(email)}`;
      const node = client(args);
      const result = verb === 'remove' ? await node.delete<unknown>(path) : await node.post<OwnerInfo>(`${path}/${verb}`);
      out.result(result, () => `${verb === 'remove' ? 'removed' : `${verb}d`} owner account ${email}`);
      return EXIT.OK;
    },
  });
}

export const OWNER_COMMANDS: readonly Command[] = [
  ownerCreateCommand,
  ownerListCommand,
  ownerAction('disable', 'Disable an owner account: sign-in refused, its sessions end at once'),
  ownerAction('enable', 'Enable a disabled owner account'),
  ownerAction('remove', 'Remove an owner account and end its sessions'),
];
