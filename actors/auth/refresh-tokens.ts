import type { DataClient } from '../ds/protocol.js';
import { newId, randomSecret, sha256Hex } from './crypto.js';
import { findOne, where } from './records.js';
import { REFRESH_TOKENS } from './tables.js';
import { REFRESH_TTL_MS } from './policy.js';
import type { Row } from '../../adapters/index.js';
import { MoboError } from '../../runtime/index.js';

export interface Redeemed {
  userId: string;
  familyId: string;
}

/** Raised when a token that was already used comes back: the family has just been revoked. */
export class RefreshReuse extends MoboError {
  constructor(readonly familyId: string, readonly userId: string) {
    super('AUTH_INVALID', 'The refresh token was already used; every session of that login is revoked', { details: { reason: 'reused' } });
  }
}

/**
 * Opaque, rotating refresh tokens (7 days). Only their SHA-256 is stored. Every token
 * belongs to a family (one login); redeeming a token marks it used and issues the next
 * one of the family. Presenting a used token again means it was stolen or replayed: the
 * whole family is revoked. Marking used is a compare-and-set in the store, so two nodes
 * racing on one token cannot both win.
 */
export class RefreshTokens {
  constructor(private readonly store: DataClient) {}

  async issue(project: string, userId: string, now: number, familyId = newId('fam')): Promise<string> {
    const token = `rt_${randomSecret()}`;
    await this.store.insert(
      REFRESH_TOKENS,
      [{ token_hash: sha256Hex(token), project, user_id: userId, family_id: familyId, created_at: now, expires_at: now + REFRESH_TTL_MS, used_at: null, revoked_at: null }],
      false,
    );
    return token;
  }

  /** Marks the token used and returns whose it was; reuse revokes the family. */
  async redeem(project: string, token: string, now: number): Promise<Redeemed> {
    const row = await this.find(project, token);
    const redeemed: Redeemed = { userId: String(row.user_id), familyId: String(row.family_id) };
    if (row.revoked_at !== null) throw new MoboError('AUTH_INVALID', 'The refresh token was revoked', { details: { reason: 'revoked' } });
    if (row.used_at !== null) return this.reused(project, redeemed, now);
    if (Number(row.expires_at) <= now) throw new MoboError('AUTH_TOKEN_EXPIRED', 'The refresh token has expired');
    const claimed = await this.store.update(
      REFRESH_TOKENS,
      { op: 'and', filters: [where({ token_hash: String(row.token_hash), project }), { op: 'is', column: 'used_at', value: null }, { op: 'is', column: 'revoked_at', value: null }] },
      { used_at: now },
      true,
    );
    if (claimed.length === 0) return this.reused(project, redeemed, now);
    return redeemed;
  }

  /** Logout: the token's whole family stops working. */
  async revoke(project: string, token: string, now: number): Promise<Redeemed> {
    const row = await this.find(project, token);
    await this.revokeFamily(project, String(row.family_id), now);
    return { userId: String(row.user_id), familyId: String(row.family_id) };
  }

  async revokeUser(project: string, userId: string, now: number): Promise<void> {
    await this.store.update(REFRESH_TOKENS, { op: 'and', filters: [where({ project, user_id: userId }), { op: 'is', column: 'revoked_at', value: null }] }, { revoked_at: now }, false);
  }

  private async revokeFamily(project: string, familyId: string, now: number): Promise<void> {
    await this.store.update(REFRESH_TOKENS, { op: 'and', filters: [where({ project, family_id: familyId }), { op: 'is', column: 'revoked_at', value: null }] }, { revoked_at: now }, false);
  }

  private async reused(project: string, redeemed: Redeemed, now: number): Promise<never> {
    await this.revokeFamily(project, redeemed.familyId, now);
    throw new RefreshReuse(redeemed.familyId, redeemed.userId);
  }

  private async find(project: string, token: string): Promise<Row> {
    const row = token.startsWith('rt_') ? await findOne(this.store, REFRESH_TOKENS, { token_hash: sha256Hex(token), project }) : undefined;
    if (!row) throw new MoboError('AUTH_INVALID', 'Unknown refresh token', { details: { reason: 'unknown' } });
    return row;
  }
}
