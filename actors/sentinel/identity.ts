import { createHash } from 'node:crypto';

/** Who a request claims to be, as far as blocking needs: read from its credential, not verified. */
export interface Claimed {
  /** SHA-256 of an API key: what MagAuth stores, so a block by key id finds it. */
  keyHash?: string;
  /** `<project>/<subject>` from a JWT's payload. */
  user?: string;
}

const MAX_CACHED = 10_000;
const cache = new Map<string, Claimed>();

function credential(headers: Record<string, string>): string | undefined {
  const authorization = headers.authorization;
  if (authorization) return /^bearer\s+(\S+)$/i.exec(authorization.trim())?.[1];
  return headers.apikey?.trim() || undefined;
}

function read(token: string): Claimed {
  if (token.startsWith('ak_')) return { keyHash: createHash('sha256').update(token).digest('hex') };
  const parts = token.split('.');
  if (parts.length !== 3) return {};
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { sub?: unknown; project?: unknown };
    return typeof payload.sub === 'string' && typeof payload.project === 'string' ? { user: `${payload.project}/${payload.sub}` } : {};
  } catch {
    return {};
  }
}

/**
 * The API key or user a request names. Unverified on purpose: it only ever narrows what
 * a request may do (a forged token naming a blocked user is refused; MagAuth still
 * verifies every credential it lets through). Cached per credential string.
 */
export function claimedIdentity(headers: Record<string, string>): Claimed {
  const token = credential(headers);
  if (!token || token.length > 8_192) return {};
  let claimed = cache.get(token);
  if (!claimed) {
    claimed = read(token);
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
    cache.set(token, claimed);
  }
  return claimed;
}
