import type { Row } from '../../adapters/index.js';
import { MoboError } from '../../runtime/index.js';
import type { DataClient } from '../ds/protocol.js';
import { randomSecret, sha256Hex } from './crypto.js';
import { burnPasswordCheck, checkPasswordStrength, hashPassword, verifyPassword } from './password.js';
import { findOne, insertNew, iso, updateExisting, where } from './records.js';
import { OWNER_SESSIONS, OWNERS } from './tables.js';
import { normalizeEmail } from './users.js';

/** What may be shown of an owner account: never the password hash. */
export interface OwnerInfo {
  email: string;
  created_at: string;
  disabled: boolean;
}

export interface OwnerSession {
  /** `mobo_session_…`: shown once, stored as its SHA-256 only. */
  token: string;
  email: string;
  expiresAt: number;
}

/** The prefix that tells an owner's session token from the node's admin token. */
export const OWNER_SESSION_PREFIX = 'mobo_session_';

const describe = (row: Row): OwnerInfo => ({ email: String(row.email), created_at: String(row.created_at), disabled: row.disabled_at !== null });

/**
 * The node's owner accounts: the people who run it, signing in to the admin page (and the
 * admin API) with an email and a password instead of the admin token. An account has the
 * admin token's reach. A login opens a session (a random token, stored hashed, with an
 * expiry); disabling or removing an account ends its sessions at once.
 */
export class Owners {
  constructor(private readonly store: DataClient) {}

  async create(email: string, password: string, now: number): Promise<OwnerInfo> {
    checkPasswordStrength(password);
    const row: Row = { email: normalizeEmail(email), password_hash: await hashPassword(password), created_at: iso(now), disabled_at: null };
    await insertNew(this.store, OWNERS, row, () => new MoboError('AUTH_USER_EXISTS', 'An owner account with that email already exists', { details: { email: row.email } }));
    return describe(row);
  }

  async list(): Promise<OwnerInfo[]> {
    const rows = await this.store.select({ table: OWNERS, order: [{ column: 'email', direction: 'asc' }] });
    return rows.map(describe);
  }

  async setDisabled(email: string, disabled: boolean, now: number): Promise<OwnerInfo> {
    const row = await updateExisting(this.store, OWNERS, { email: normalizeEmail(email) }, { disabled_at: disabled ? iso(now) : null }, 'AUTH_USER_NOT_FOUND');
    if (disabled) await this.endSessions(row.email as string);
    return describe(row);
  }

  async remove(email: string): Promise<{ email: string; removed: true }> {
    const key = normalizeEmail(email);
    const removed = await this.store.delete(OWNERS, where({ email: key }), true);
    if (removed.length === 0) throw new MoboError('AUTH_USER_NOT_FOUND', 'No owner account with that email', { details: { email: key } });
    await this.endSessions(key);
    return { email: key, removed: true };
  }

  /** Checks the password (spending a hash for unknown emails too, so timing tells nothing) and opens a session. */
  async login(email: string, password: string, now: number, ttlMs: number): Promise<OwnerSession> {
    const row = await findOne(this.store, OWNERS, { email: normalizeEmail(email) });
    const matches = row ? await verifyPassword(password, String(row.password_hash)) : (await burnPasswordCheck(password), false);
    if (!row || !matches) throw new MoboError('AUTH_BAD_PASSWORD');
    if (row.disabled_at !== null) throw new MoboError('AUTH_USER_DISABLED', 'The owner account is disabled');
    const token = OWNER_SESSION_PREFIX + randomSecret();
    const expiresAt = now + ttlMs;
    await this.store.insert(OWNER_SESSIONS, [{ token_hash: sha256Hex(token), email: row.email, created_at: now, expires_at: expiresAt }], false);
    return { token, email: String(row.email), expiresAt };
  }

  /** The owner a session token belongs to; AUTH_INVALID for an unknown or ended one, AUTH_TOKEN_EXPIRED past its expiry, AUTH_FORBIDDEN for what is no session token at all. */
  async session(token: string, now: number): Promise<{ email: string; expiresAt: number }> {
    if (!token.startsWith(OWNER_SESSION_PREFIX)) throw new MoboError('AUTH_FORBIDDEN', "That is neither this node's admin token nor an owner account's session");
    const row = await findOne(this.store, OWNER_SESSIONS, { token_hash: sha256Hex(token) });
    if (!row) throw new MoboError('AUTH_INVALID', 'That session has ended or never existed; sign in again', { details: { reason: 'unknown_session' } });
    if (Number(row.expires_at) <= now) {
      await this.store.delete(OWNER_SESSIONS, where({ token_hash: String(row.token_hash) }), false);
      throw new MoboError('AUTH_TOKEN_EXPIRED', 'The session has expired; sign in again');
    }
    return { email: String(row.email), expiresAt: Number(row.expires_at) };
  }

  async logout(token: string): Promise<{ loggedOut: true }> {
    await this.store.delete(OWNER_SESSIONS, where({ token_hash: sha256Hex(token) }), false);
    return { loggedOut: true };
  }

  private async endSessions(email: string): Promise<void> {
    await this.store.delete(OWNER_SESSIONS, where({ email }), false);
  }
}
