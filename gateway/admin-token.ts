import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The node's operator token: `<dataDir>/admin.token`, readable by its owner only. */
export function adminTokenPath(dataDir: string): string {
  return join(dataDir, 'admin.token');
}

export function readAdminToken(dataDir: string): string | undefined {
  try {
    return readFileSync(adminTokenPath(dataDir), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Returns the token, creating it (mode 0600) on first boot. */
export function ensureAdminToken(dataDir: string): string {
  const existing = readAdminToken(dataDir);
  if (existing) return existing;
  mkdirSync(dataDir, { recursive: true });
  const token = `mobo_admin_${randomBytes(32).toString('base64url')}`;
  writeFileSync(adminTokenPath(dataDir), token + '\n', { mode: 0o600 });
  chmodSync(adminTokenPath(dataDir), 0o600);
  return token;
}

/** Constant-time check of a presented token (hashed first, so lengths never leak). */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (!presented) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
