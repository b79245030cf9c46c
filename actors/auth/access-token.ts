import { jose } from './jose.js';
import type { Principal } from './principal.js';
import type { PublicKeyRing } from './key-ring.js';
import type { Signer } from './signing-keys.js';
import { ACCESS_TTL_S, ALG, CLOCK_TOLERANCE_S, KIND_CLAIM, PROJECT_CLAIM, audience } from './policy.js';
import { MoboError } from '../../runtime/index.js';

export interface AccessClaims {
  /** The cluster's `auth.issuer`. */
  iss: string;
  sub: string;
  project: string;
  role: string;
  kind: 'user' | 'service_account';
}

export interface IssuedAccessToken {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  /** Seconds since the epoch. */
  expires_at: number;
}

/** Signs an access token as of `nowMs` (tests pass a past time to make an expired one). */
export async function signAccessToken(signer: Signer, claims: AccessClaims, nowMs: number, ttlS = ACCESS_TTL_S): Promise<IssuedAccessToken> {
  const iat = Math.floor(nowMs / 1_000);
  const { SignJWT } = await jose();
  const token = await new SignJWT({ [PROJECT_CLAIM]: claims.project, role: claims.role, [KIND_CLAIM]: claims.kind })
    .setProtectedHeader({ alg: ALG, kid: signer.kid, typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(claims.iss)
    .setAudience(audience(claims.project))
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlS)
    .sign(signer.key);
  return { access_token: token, token_type: 'bearer', expires_in: ttlS, expires_at: iat + ttlS };
}

export interface VerifiedToken {
  principal: Principal;
  /** ms since the epoch. */
  expiresAt: number;
}

/** How far ahead of this clock a token's `iat` may be (clocks of nodes differ a little, never a minute). */
export const MAX_FUTURE_IAT_S = 60;

const invalid = (reason: string, cause?: unknown) => new MoboError('AUTH_INVALID', 'The token is invalid', { details: { reason }, cause });

/**
 * Verifies a token for one project: only EdDSA (so `alg: none` and HS256-with-the-public-key
 * are refused before any key is used), a kid from our ring, our issuer, the project's
 * audience, and not expired as of `nowMs`.
 */
export async function verifyAccessToken(token: string, ring: PublicKeyRing, project: string, nowMs: number, issuer: string, maxLifetimeS = 86_400): Promise<VerifiedToken> {
  const { decodeProtectedHeader, jwtVerify, errors } = await jose();
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch (err) {
    throw invalid('malformed', err);
  }
  if (header.alg !== ALG) throw invalid('algorithm');
  const key = typeof header.kid === 'string' ? await ring.key(header.kid) : undefined;
  if (!key) throw invalid('unknown_key');
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [ALG],
      issuer,
      audience: audience(project),
      currentDate: new Date(nowMs),
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['sub', 'exp', 'iat', 'aud', PROJECT_CLAIM, 'role'],
    });
    if (payload[PROJECT_CLAIM] !== project) throw new MoboError('AUTH_FORBIDDEN', 'The token belongs to another project');
    const role = payload.role;
    const kind = payload[KIND_CLAIM] === 'service_account' ? 'service_account' : 'user';
    if (typeof role !== 'string' || typeof payload.sub !== 'string' || typeof payload.exp !== 'number' || typeof payload.iat !== 'number') throw invalid('claims');
    // Signed by a key of ours, yet dated ahead or living too long: a key misused, or a clock far off.
    if (payload.iat > nowMs / 1_000 + MAX_FUTURE_IAT_S) throw invalid('issued_in_future');
    if (payload.exp - payload.iat > maxLifetimeS) throw invalid('lifetime');
    return { principal: { kind, subject: payload.sub, project, role, expiresAt: payload.exp * 1_000 }, expiresAt: payload.exp * 1_000 };
  } catch (err) {
    if (err instanceof MoboError) throw err;
    if (err instanceof errors.JWTExpired) throw new MoboError('AUTH_TOKEN_EXPIRED', undefined, { cause: err });
    if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'aud') throw new MoboError('AUTH_FORBIDDEN', 'The token belongs to another project', { cause: err });
    throw invalid(err instanceof errors.JWSSignatureVerificationFailed ? 'signature' : 'claims', err);
  }
}
