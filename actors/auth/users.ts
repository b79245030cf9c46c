import type { DataClient } from '../ds/protocol.js';
import { newId } from './crypto.js';
import { checkPasswordStrength, hashPassword } from './password.js';
import { findOne, insertNew, iso, updateExisting, where } from './records.js';
import { USERS } from './tables.js';
import type { Row } from '../../adapters/index.js';
import { MoboError } from '../../runtime/index.js';

/** What may be shown of a user: never the password hash. */
export interface UserInfo {
  id: string;
  project: string;
  email: string;
  role: string;
  created_at: string;
  disabled: boolean;
}

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

export function describeUser(row: Row): UserInfo {
  return { id: String(row.id), project: String(row.project), email: String(row.email), role: String(row.role), created_at: String(row.created_at), disabled: row.disabled_at !== null };
}

const userKey = (project: string, idOrEmail: string): Record<string, string> =>
  idOrEmail.includes('@') ? { project, email_key: `${project}/${normalizeEmail(idOrEmail)}` } : { project, id: idOrEmail };

/** Users of a project: an email is unique within its project only. */
export class Users {
  constructor(private readonly store: DataClient) {}

  async create(project: string, email: string, password: string, role: string, now: number): Promise<UserInfo> {
    checkPasswordStrength(password);
    const normalized = normalizeEmail(email);
    const row: Row = {
      email_key: `${project}/${normalized}`,
      id: newId('usr'),
      project,
      email: normalized,
      password_hash: await hashPassword(password),
      role,
      created_at: iso(now),
      disabled_at: null,
    };
    await insertNew(this.store, USERS, row, () => new MoboError('AUTH_USER_EXISTS', undefined, { details: { project } }));
    return describeUser(row);
  }

  /** The stored row (with its hash), for the password check only. */
  byEmail(project: string, email: string): Promise<Row | undefined> {
    return findOne(this.store, USERS, { email_key: `${project}/${normalizeEmail(email)}`, project });
  }

  byId(project: string, id: string): Promise<Row | undefined> {
    return findOne(this.store, USERS, { project, id });
  }

  async get(project: string, id: string): Promise<UserInfo> {
    const row = await this.byId(project, id);
    if (!row) throw new MoboError('AUTH_USER_NOT_FOUND', undefined, { details: { project, id } });
    return describeUser(row);
  }

  async list(project: string): Promise<UserInfo[]> {
    const rows = await this.store.select({ table: USERS, where: where({ project }), order: [{ column: 'created_at', direction: 'asc' }] });
    return rows.map(describeUser);
  }

  /** `id` may be the user id or the email. */
  async setDisabled(project: string, idOrEmail: string, disabled: boolean, now: number): Promise<UserInfo> {
    return describeUser(await updateExisting(this.store, USERS, userKey(project, idOrEmail), { disabled_at: disabled ? iso(now) : null }, 'AUTH_USER_NOT_FOUND'));
  }

  /** `id` may be the user id or the email; the role takes effect on the user's current tokens at once. */
  async setRole(project: string, idOrEmail: string, role: string): Promise<UserInfo> {
    return describeUser(await updateExisting(this.store, USERS, userKey(project, idOrEmail), { role }, 'AUTH_USER_NOT_FOUND'));
  }
}
