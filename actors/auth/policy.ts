/**
 * Token policy: lifetimes, issuer, audience and claim names, in one place.
 *
 * Signing algorithm: EdDSA over Ed25519. Asymmetric (the gateway and any third party
 * verify with the public JWKS, only the auth actor holds private keys); deterministic
 * signatures, so no per-signature nonce can leak the key the way a bad ECDSA (ES256)
 * nonce can; 32-byte keys and fast verification. jose and the major JWT libraries
 * support it.
 */
export const ALG = 'EdDSA';
export const ACCESS_TTL_S = 15 * 60;
export const REFRESH_TTL_MS = 7 * 24 * 60 * 60 * 1_000;
/** Leeway for clocks that differ slightly between nodes. */
export const CLOCK_TOLERANCE_S = 5;
/** The default `iss` of every token (`auth.issuer` in config sets another). */
export const DEFAULT_ISSUER = 'magmobomini';
export const PROJECT_CLAIM = 'mobo_project';
export const KIND_CLAIM = 'mobo_kind';

/** Each project is its own audience: a token of project B is refused on project A. */
export function audience(project: string): string {
  return `mobo:${project}`;
}

/** A retired signing key keeps verifying until the last token it signed has expired. */
export function verifiesUntil(retiredAtMs: number): number {
  return retiredAtMs + (ACCESS_TTL_S + CLOCK_TOLERANCE_S) * 1_000;
}
