import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hashPool } from './hash-pool.js';
import { MoboError } from '../../runtime/index.js';

/**
 * Password hashing with scrypt (memory-hard, in node:crypto, no native dependency).
 * Stored as `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` so the cost can be raised later
 * without breaking existing hashes: verification always uses the stored parameters.
 */
export interface ScryptParams {
  log2N: number;
  r: number;
  p: number;
}

/** N = 2^15, r = 8, p = 1: 32 MiB and about 50–100 ms per hash on a server core. */
export const DEFAULT_SCRYPT: ScryptParams = { log2N: 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
export const PASSWORD_MIN = 8;
const PASSWORD_MAX = 1_024;

/** scrypt on the hashing threads (hash-pool.ts), never on the event loop nor libuv's shared pool. */
function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.log2N;
  return hashPool().scrypt({ password: password.normalize('NFKC'), salt, keyBytes: KEY_BYTES, options: { N, r: params.r, p: params.p, maxmem: 256 * N * params.r } });
}

export function checkPasswordStrength(password: string): void {
  if (password.length < PASSWORD_MIN) throw new MoboError('AUTH_WEAK_PASSWORD', `The password needs at least ${PASSWORD_MIN} characters`, { details: { min: PASSWORD_MIN } });
  if (password.length > PASSWORD_MAX) throw new MoboError('AUTH_WEAK_PASSWORD', `The password may have at most ${PASSWORD_MAX} characters`, { details: { max: PASSWORD_MAX } });
  if (new Set(password).size < 4) throw new MoboError('AUTH_WEAK_PASSWORD', 'The password needs at least 4 different characters');
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return ['scrypt', params.log2N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant-time check against a stored hash; a malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, log2N, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const params = { log2N: Number(log2N), r: Number(r), p: Number(p) };
  if (![params.log2N, params.r, params.p].every((n) => Number.isInteger(n) && n > 0) || params.log2N > 22) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), params);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

let dummy: Promise<string> | undefined;

/** Spends the same work as a real check, so a login for an unknown email takes as long as a wrong password. */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await dummy);
}
