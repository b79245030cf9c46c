import { API_KEY_PREFIX } from './api-keys.js';
import { MoboError } from '../../runtime/index.js';

export type Credential = { kind: 'jwt'; token: string } | { kind: 'api_key'; key: string };

/** Longer than any token we issue; refuses absurd headers before any hashing or parsing. */
const MAX_CREDENTIAL = 8_192;

/**
 * Finds the caller's credential: `Authorization: Bearer <jwt | ak_…>` first, else the
 * `apikey` header (what supabase/postgrest clients send). Header names are matched
 * case-insensitively.
 */
export function readCredential(headers: Record<string, string>): Credential {
  const header = (name: string): string | undefined => headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  const authorization = header('authorization')?.trim();
  let value: string | undefined;
  if (authorization) {
    const match = /^bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw new MoboError('AUTH_INVALID', 'The Authorization header must be "Bearer <token>"', { details: { reason: 'scheme' } });
    value = match[1];
  } else {
    value = header('apikey')?.trim() || undefined;
  }
  if (!value) throw new MoboError('AUTH_REQUIRED', 'Send "Authorization: Bearer <token or API key>" or an "apikey" header');
  if (value.length > MAX_CREDENTIAL) throw new MoboError('AUTH_INVALID', 'The credential is too long', { details: { reason: 'malformed' } });
  if (value.startsWith(API_KEY_PREFIX)) return { kind: 'api_key', key: value };
  if (value.split('.').length === 3) return { kind: 'jwt', token: value };
  throw new MoboError('AUTH_INVALID', 'The credential is neither a token nor an API key', { details: { reason: 'malformed' } });
}
