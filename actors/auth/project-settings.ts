import { z } from 'zod';
import type { DataClient } from '../ds/protocol.js';
import type { SecretBox } from '../kernel/secret-box.js';
import type { ApiKeys } from './api-keys.js';
import { findOne, iso, where } from './records.js';
import { INVITES, PROJECT_SETTINGS } from './tables.js';
import { normalizeEmail } from './users.js';
import type { Row } from '../../adapters/index.js';
import { isMoboError } from '../../runtime/index.js';

/** Who may sign up: anyone, only invited emails, or nobody (the default until the owner opens it). */
export const SIGNUP_MODES = ['closed', 'invite', 'open'] as const;
export const signupModeSchema = z.enum(SIGNUP_MODES);
export type SignupMode = z.infer<typeof signupModeSchema>;

/** The project's two well-known keys, as Supabase users know them. */
export interface ClientKeys {
  /** Role `anon`: safe to ship in a browser or app; reaches only what policies open to `anon`. */
  publicKey: string;
  /** Role `admin`: every table, row rules skipped; for the project's own servers only. */
  serviceKey: string;
  publicKeyId: string;
  serviceKeyId: string;
}

/**
 * Per-project MagAuth settings: the signup mode, invitations, and the public client key and
 * service key. Those two are ordinary API keys (stored hashed like any other, revocable by id)
 * whose secrets are also kept sealed with the node key, so `keys:show` can show them again.
 */
export class ProjectSettings {
  constructor(
    private readonly store: DataClient,
    private readonly box: SecretBox,
  ) {}

  async signup(project: string): Promise<SignupMode> {
    const row = await findOne(this.store, PROJECT_SETTINGS, { project });
    return row ? signupModeSchema.catch('closed').parse(row.signup) : 'closed';
  }

  async setSignup(project: string, mode: SignupMode, now: number): Promise<{ project: string; signup: SignupMode }> {
    await this.upsert(project, { signup: mode }, now);
    return { project, signup: mode };
  }

  async invite(project: string, email: string, role: string, now: number): Promise<{ project: string; email: string; role: string }> {
    const normalized = normalizeEmail(email);
    const invite_key = `${project}/${normalized}`;
    await this.store.batch([
      { op: 'delete', table: INVITES, where: where({ invite_key, project }) },
      { op: 'insert', table: INVITES, rows: [{ invite_key, project, email: normalized, role, created_at: iso(now) }] },
    ]);
    return { project, email: normalized, role };
  }

  /** The role an invitation gives, or undefined when the email is not invited. */
  async invitedRole(project: string, email: string): Promise<string | undefined> {
    const row = await findOne(this.store, INVITES, { invite_key: `${project}/${normalizeEmail(email)}`, project });
    return row ? String(row.role) : undefined;
  }

  /** The project's public and service keys, minted on first use (or again if one was revoked). */
  async clientKeys(project: string, keys: ApiKeys, now: number): Promise<ClientKeys> {
    const row = await findOne(this.store, PROJECT_SETTINGS, { project });
    const live = async (id: unknown, sealed: unknown): Promise<{ id: string; key: string } | undefined> => {
      if (typeof id !== 'string' || typeof sealed !== 'string') return undefined;
      const key = this.box.open(sealed);
      return (await keys.verify(project, key)) ? { id, key } : undefined;
    };
    const mint = async (name: string, role: string) => {
      const created = await keys.create(project, { name, role, scopes: {} }, now);
      return { id: created.id, key: created.key };
    };
    const publicKey = (await live(row?.public_key_id, row?.public_key_sealed)) ?? (await mint('public client key', 'anon'));
    const serviceKey = (await live(row?.service_key_id, row?.service_key_sealed)) ?? (await mint('service key', 'admin'));
    if (publicKey.id !== row?.public_key_id || serviceKey.id !== row?.service_key_id) {
      await this.upsert(
        project,
        { public_key_id: publicKey.id, public_key_sealed: this.box.seal(publicKey.key), service_key_id: serviceKey.id, service_key_sealed: this.box.seal(serviceKey.key) },
        now,
      );
    }
    return { publicKey: publicKey.key, serviceKey: serviceKey.key, publicKeyId: publicKey.id, serviceKeyId: serviceKey.id };
  }

  private async upsert(project: string, patch: Row, now: number): Promise<void> {
    const updated = await this.store.update(PROJECT_SETTINGS, where({ project }), { ...patch, updated_at: iso(now) }, true);
    if (updated.length > 0) return;
    const row: Row = { project, signup: 'closed', public_key_id: null, public_key_sealed: null, service_key_id: null, service_key_sealed: null, ...patch, updated_at: iso(now) };
    await this.store.insert(PROJECT_SETTINGS, [row], false).catch(async (err: unknown) => {
      // Two nodes made the row at once: the second updates what the first inserted.
      if (!isMoboError(err, 'DS_CONFLICT')) throw err;
      await this.store.update(PROJECT_SETTINGS, where({ project }), { ...patch, updated_at: iso(now) }, true);
    });
  }
}
