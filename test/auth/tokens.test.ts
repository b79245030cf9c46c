import { SignJWT, UnsecuredJWT, createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../actors/auth/access-token.js';
import { ACCESS_TTL_S, DEFAULT_ISSUER as ISSUER, audience } from '../../actors/auth/policy.js';
import { bearer, startAuthNode, type AuthNode } from './helpers.js';

const claims = { iss: ISSUER, sub: 'usr_test', project: 'shop', role: 'developer', kind: 'user' as const };

describe('MagAuth access tokens: EdDSA JWTs, JWKS, rotation, and every forgery refused', () => {
  let t: AuthNode;
  const auth = (token: string, project = 'shop') => t.gate.authenticate(bearer(token), project, '127.0.0.1');
  const issue = (payload: Record<string, unknown>) => t.ask<{ access_token: string }>('token.issue', { project: 'shop', ...payload }).then((r) => r.access_token);

  beforeAll(async () => {
    t = await startAuthNode(['shop', 'other']);
  });
  afterAll(async () => {
    await t?.node.stop();
  });

  it('serves a JWKS with the signing kid, and a token verifies against the live endpoint with jose', async () => {
    const token = await issue({ role: 'developer', sub: 'tester' });
    const { kid } = await t.signer();
    const jwks = (await (await fetch(`${t.url}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
    expect(jwks.keys.map((k) => k.kid)).toContain(kid);
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(`${t.url}/.well-known/jwks.json`)), { issuer: ISSUER, audience: audience('shop') });
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid });
    expect(payload).toMatchObject({ sub: 'tester', mobo_project: 'shop', role: 'developer', aud: 'mobo:shop', iss: 'magmobomini' });
    expect(payload.exp! - payload.iat!).toBe(ACCESS_TTL_S);
    await expect(auth(token)).resolves.toMatchObject({ kind: 'user', subject: 'tester', role: 'developer', project: 'shop' });
  });

  it('rotating the signing key keeps tokens signed before valid, and both keys in the JWKS', async () => {
    const before = await issue({ role: 'viewer' });
    const oldKid = (await t.signer()).kid;
    const rotated = await t.ask<{ kid: string; retired: string[] }>('auth.signing.rotate');
    expect(rotated.retired).toContain(oldKid);
    const after = await issue({ role: 'viewer' });
    const headerKid = (token: string) => (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    expect(headerKid(after)).toBe(rotated.kid);
    expect(headerKid(before)).toBe(oldKid);
    const kids = ((await (await fetch(`${t.url}/.well-known/jwks.json`)).json()) as { keys: JWK[] }).keys.map((k) => k.kid);
    expect(kids).toEqual(expect.arrayContaining([oldKid, rotated.kid]));
    await expect(auth(before)).resolves.toMatchObject({ role: 'viewer' });
    await expect(auth(after)).resolves.toMatchObject({ role: 'viewer' });
    const remote = createRemoteJWKSet(new URL(`${t.url}/.well-known/jwks.json`));
    await expect(jwtVerify(before, remote)).resolves.toBeTruthy();
  });

  it('refuses an expired token (signed with the real key, as of 20 minutes ago)', async () => {
    const old = await signAccessToken(await t.signer(), claims, Date.now() - 20 * 60_000);
    await expect(auth(old.access_token)).rejects.toMatchObject({ code: 'AUTH_TOKEN_EXPIRED' });
  });

  it('refuses a token dated in the future, or living longer than auth.maxTokenLifetimeSeconds (signed with the real key)', async () => {
    const ahead = await signAccessToken(await t.signer(), claims, Date.now() + 365 * 86_400_000);
    await expect(auth(ahead.access_token)).rejects.toMatchObject({ code: 'AUTH_INVALID', details: { reason: 'issued_in_future' } });
    const tenYears = await signAccessToken(await t.signer(), claims, Date.now(), 10 * 365 * 86_400);
    await expect(auth(tenYears.access_token)).rejects.toMatchObject({ code: 'AUTH_INVALID', details: { reason: 'lifetime' } });
    // Within the clock tolerance, and within the longest lifetime token.issue grants: accepted.
    const slightlyAhead = await signAccessToken(await t.signer(), claims, Date.now() + 30_000);
    await expect(auth(slightlyAhead.access_token)).resolves.toMatchObject({ subject: claims.sub });
    const aDay = await signAccessToken(await t.signer(), claims, Date.now(), 86_400);
    await expect(auth(aDay.access_token)).resolves.toMatchObject({ subject: claims.sub });
  });

  it('refuses a token of another issuer (signed with the real key)', async () => {
    const foreign = await signAccessToken(await t.signer(), { ...claims, iss: 'https://elsewhere.example' }, Date.now());
    await expect(auth(foreign.access_token)).rejects.toMatchObject({ code: 'AUTH_INVALID', details: { reason: 'claims' } });
  });

  it('refuses a token of another project (wrong audience) with AUTH_FORBIDDEN', async () => {
    const token = await issue({ role: 'owner' });
    await expect(auth(token, 'other')).rejects.toMatchObject({ code: 'AUTH_FORBIDDEN' });
    // Cached after a good verification on shop: still refused on other.
    await auth(token);
    await expect(auth(token, 'other')).rejects.toMatchObject({ code: 'AUTH_FORBIDDEN' });
    // Signed by us for "other" but claiming shop's audience: the project claim disagrees.
    const signer = await t.signer();
    const mixed = await new SignJWT({ mobo_project: 'other', role: 'owner' })
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid })
      .setSubject('x')
      .setIssuer(ISSUER)
      .setAudience(audience('shop'))
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(signer.key);
    await expect(auth(mixed)).rejects.toMatchObject({ code: 'AUTH_FORBIDDEN' });
  });

  it('refuses a forged token (signed by another key under our kid), alg none, HS256 with the public key, an unknown kid, and garbage', async () => {
    const { kid } = await t.signer();
    const forger = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await signAccessToken({ kid, key: forger.privateKey }, claims, Date.now());
    await expect(auth(forged.access_token)).rejects.toMatchObject({ code: 'AUTH_INVALID', details: { reason: 'signature' } });

    const unknownKid = await signAccessToken({ kid: 'sk_nope', key: forger.privateKey }, claims, Date.now());
    await expect(auth(unknownKid.access_token)).rejects.toMatchObject({ code: 'AUTH_INVALID', details: { reason: 'unknown_key' } });

    const none = new UnsecuredJWT({ mobo_project: 'shop', role: 'owner' }).setSubject('x').setIssuer(ISSUER).setAudience(audience('shop')).setIssuedAt().setExpirationTime('5m').encode();
    await expect(auth(none)).rejects.toMatchObject({ code: 'AUTH_INVALID', details: { reason: 'algorithm' } });

    // The classic confusion attack: HS256 with the published public key as the HMAC secret.
    const jwks = (await (await fetch(`${t.url}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
    const publicJwk = jwks.keys.find((k) => k.kid === kid)!;
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    for (const secret of [JSON.stringify(publicJwk), publicJwk.x!, Buffer.from(publicJwk.x!, 'base64url')]) {
      const signingInput = `${b64({ alg: 'HS256', kid, typ: 'JWT' })}.${b64({ sub: 'x', mobo_project: 'shop', role: 'owner', iss: ISSUER, aud: audience('shop'), iat: now, exp: now + 300 })}`;
      const hs = `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
      await expect(auth(hs)).rejects.toMatchObject({ code: 'AUTH_INVALID', details: { reason: 'algorithm' } });
    }

    // A token signed with the real key but a tampered payload.
    const real = await issue({ role: 'viewer' });
    const [h, , s] = real.split('.');
    const tampered = `${h}.${b64({ sub: 'x', mobo_project: 'shop', role: 'owner', iss: ISSUER, aud: audience('shop'), iat: now, exp: now + 300 })}.${s}`;
    await expect(auth(tampered)).rejects.toMatchObject({ code: 'AUTH_INVALID' });

    for (const junk of ['a.b.c', 'not-a-token', '']) await expect(auth(junk)).rejects.toMatchObject({ code: expect.stringMatching(/^AUTH_(INVALID|REQUIRED)$/) });
    await expect(t.gate.authenticate({ authorization: 'Basic abc' }, 'shop', '')).rejects.toMatchObject({ code: 'AUTH_INVALID' });
    await expect(t.gate.authenticate({}, 'shop', '')).rejects.toMatchObject({ code: 'AUTH_REQUIRED' });
  });

  it('refuses a token with another issuer, and token.issue for a role the project does not have', async () => {
    const signer = await t.signer();
    const foreign = await new SignJWT({ mobo_project: 'shop', role: 'owner' })
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid })
      .setSubject('x')
      .setIssuer('someone-else')
      .setAudience(audience('shop'))
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(signer.key);
    await expect(auth(foreign)).rejects.toMatchObject({ code: 'AUTH_INVALID' });
    await expect(issue({ role: 'superuser' })).rejects.toMatchObject({ code: 'AUTH_ROLE_NOT_FOUND' });
  });

  it('a public key that is exported never carries private material', async () => {
    const { publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    expect(await exportJWK(publicKey)).not.toHaveProperty('d');
  });
});
