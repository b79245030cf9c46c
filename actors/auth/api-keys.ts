import type { DataClient } from '../ds/protocol.js';
import { digestsEqual, newId, randomSecret, sha256Hex } from './crypto.js';
import { findOne, iso, updateExisting, where } from './records.js';
import type { Scopes } from './scopes.js';
import { API_KEYS } from './tables.js';
import type { Row } from '../../adapters/index.js';
import { MoboError } from '../../runtime/index.js';

/**
 * API keys `ak_<project>_<43 chars of base64url = 32 random bytes>`. The secret is
 * returned once (create, rotate) and only its SHA-256 is stored; lookup is by hash and
 * by project. A fast hash is right here: the secret has 256 bits of entropy, so there
 * is nothing to brute-force, and verification must be cheap per request.
 */
export interface ApiKeyInfo {
  id: string;
  project: string;
  name: string | null;
  /** Enough of the key to recognise it, never enough to use it. */
  prefix: string;
  role: string;
  scopes: Scopes;
  service_account: string | null;
  created_at: string;
  rotated_at: string | null;
  revoked_at: string | null;
}

export interface CreatedApiKey extends ApiKeyInfo {
  /** The secret: shown this once. */
  key: string;
}

export const API_KEY_PREFIX = 'ak_';
export const keyPrefixOf = (project: string): string => `${API_KEY_PREFIX}${project}_`;

export function describeKey(row: Row): ApiKeyInfo {
  return {
    id: String(row.id),
    project: String(row.project),
    name: row.name === null ? null : String(row.name),
    prefix: String(row.prefix),
    role: String(row.role),
    scopes: JSON.parse(String(row.scopes)) as Scopes,
    service_account: row.service_account === null ? null : String(row.service_account),
    created_at: String(row.created_at),
    rotated_at: row.rotated_at === null ? null : String(row.rotated_at),
    revoked_at: row.revoked_at === null ? null : String(row.revoked_at),
  };
}

function mint(project: string): { key: string; prefix: string; hash: string } {
  const key = `${keyPrefixOf(project)}${randomSecret(32)}`;
  return { key, prefix: `${key.slice(0, keyPrefixOf(project).length + 4)}…`, hash: sha256Hex(key) };
}

export interface NewKey {
  name?: string | undefined;
  role: string;
  scopes: Scopes;
  serviceAccount?: string | undefined;
}

export class ApiKeys {
  constructor(private readonly store: DataClient) {}

  async create(project: string, input: NewKey, now: number): Promise<CreatedApiKey> {
    const { key, prefix, hash } = mint(project);
    const row: Row = {
      id: newId('key'),
      project,
      name: input.name ?? null,
      prefix,
      key_hash: hash,
      scopes: JSON.stringify(input.scopes),
      role: input.role,
      service_account: input.serviceAccount ?? null,
      created_at: iso(now),
      rotated_at: null,
      revoked_at: null,
    };
    await this.store.insert(API_KEYS, [row], false);
    return { ...describeKey(row), key };
  }

  async list(project: string): Promise<ApiKeyInfo[]> {
    return (await this.store.select({ table: API_KEYS, where: where({ project }), order: [{ column: 'created_at', direction: 'asc' }] })).map(describeKey);
  }

  /** A new secret for the same key id; the old secret stops working at once. */
  async rotate(project: string, id: string, now: number): Promise<CreatedApiKey> {
    await this.requireActive(project, id);
    const { key, prefix, hash } = mint(project);
    const row = await updateExisting(this.store, API_KEYS, { project, id }, { key_hash: hash, prefix, rotated_at: iso(now) }, 'AUTH_KEY_NOT_FOUND');
    return { ...describeKey(row), key };
  }

  async revoke(project: string, id: string, now: number): Promise<ApiKeyInfo> {
    await this.requireActive(project, id);
    return describeKey(await updateExisting(this.store, API_KEYS, { project, id }, { revoked_at: iso(now) }, 'AUTH_KEY_NOT_FOUND'));
  }

  /** The live key with this secret in this project, or undefined. */
  async verify(project: string, presented: string): Promise<ApiKeyInfo | undefined> {
    const hash = sha256Hex(presented);
    const row = await findOne(this.store, API_KEYS, { key_hash: hash, project });
    if (!row || row.revoked_at !== null || !digestsEqual(String(row.key_hash), hash)) return undefined;
    return describeKey(row);
  }

  /** The live (unrevoked) key with this id, or undefined. */
  async byId(project: string, id: string): Promise<ApiKeyInfo | undefined> {
    const row = await findOne(this.store, API_KEYS, { project, id });
    return row && row.revoked_at === null ? describeKey(row) : undefined;
  }

  private async requireActive(project: string, id: string): Promise<void> {
    const row = await findOne(this.store, API_KEYS, { project, id });
    if (!row || row.revoked_at !== null) throw new MoboError('AUTH_KEY_NOT_FOUND', row ? 'That API key is revoked' : undefined, { details: { project, id } });
  }
}
