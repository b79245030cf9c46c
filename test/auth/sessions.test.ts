import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, postJson, startAuthNode, type AuthNode, type SessionBody } from './helpers.js';

describe('MagAuth sessions over HTTP: signup, login, refresh rotation, reuse detection, logout', () => {
  let t: AuthNode;
  const auth = (project: string, path: string) => `${t.url}/v1/auth/${project}/${path}`;

  /** Signup answers no session (it must not tell a new email from a taken one): the user logs in next. */
  const signUp = async (project: string, email: string, password: string): Promise<SessionBody> => {
    const signup = await postJson(auth(project, 'signup'), { email, password });
    expect(signup.status).toBe(201);
    const login = await postJson(auth(project, 'login'), { email, password });
    expect(login.status).toBe(200);
    return login.json.data as SessionBody;
  };

  beforeAll(async () => {
    // More signups from one address than the default allows: this suite signs up a dozen users from 127.0.0.1.
    t = await startAuthNode(['shop', 'other'], { MOBO_AUTH__LIMITS__SIGNUP_PER_IP__BURST: '100' });
    for (const project of ['shop', 'other']) await t.ask('signup.set', { project, signup: 'open' });
  });
  afterAll(async () => {
    await t?.node.stop();
  });

  it('signs up, logs in, and the access token authenticates as that user on its project only', async () => {
    const signup = await postJson(auth('shop', 'signup'), { email: 'Alice@Example.com', password: 'correct horse battery' });
    expect(signup).toMatchObject({ status: 201, json: { data: { email: 'alice@example.com', signedUp: true, next: 'login' } } });
    const session = (await postJson(auth('shop', 'login'), { email: 'alice@example.com', password: 'correct horse battery' })).json.data as SessionBody;
    expect(session).toMatchObject({ expires_in: 900, user: { email: 'alice@example.com', role: 'authenticated' } });
    expect(session.refresh_token).toMatch(/^rt_/);

    // A taken email answers exactly like a new one, and changes nothing (the old password still works).
    const dup = await postJson(auth('shop', 'signup'), { email: 'alice@example.com', password: 'another good one' });
    expect({ status: dup.status, data: dup.json.data }).toEqual({ status: signup.status, data: signup.json.data });
    expect((await postJson(auth('shop', 'login'), { email: 'alice@example.com', password: 'another good one' })).status).toBe(401);
    // The same email is a different person in another project.
    expect((await signUp('other', 'alice@example.com', 'correct horse battery')).user.email).toBe('alice@example.com');

    const login = await postJson(auth('shop', 'login'), { email: 'alice@example.com', password: 'correct horse battery' });
    expect(login.status).toBe(200);
    const token = (login.json.data as SessionBody).access_token;
    const me = await fetch(auth('shop', 'user'), { headers: bearer(token) });
    expect(await me.json()).toMatchObject({ data: { principal: { kind: 'user', project: 'shop', role: 'authenticated', subject: session.user.id }, user: { email: 'alice@example.com' } } });
    const elsewhere = await fetch(auth('other', 'user'), { headers: bearer(token) });
    expect(elsewhere.status).toBe(403);
    expect(await elsewhere.json()).toMatchObject({ error: { code: 'AUTH_FORBIDDEN' } });
    expect((await fetch(auth('shop', 'user'))).status).toBe(401);
  });

  it('refuses wrong passwords and weak passwords, and rate-limits guessing per email and address', async () => {
    expect((await postJson(auth('shop', 'signup'), { email: 'bob@example.com', password: 'bob has a good one' })).status).toBe(201);
    expect((await postJson(auth('shop', 'signup'), { email: 'weak@example.com', password: 'short' })).json.error.code).toBe('AUTH_WEAK_PASSWORD');
    const unknown = await postJson(auth('shop', 'login'), { email: 'nobody@example.com', password: 'whatever it is' });
    expect(unknown).toMatchObject({ status: 401, json: { error: { code: 'AUTH_BAD_PASSWORD' } } });
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) codes.push((await postJson(auth('shop', 'login'), { email: 'bob@example.com', password: `guess ${i}` })).json.error.code);
    expect(codes.slice(0, 5)).toEqual(Array(5).fill('AUTH_BAD_PASSWORD'));
    expect(codes[5]).toBe('RATE_LIMITED');
    const limited = await postJson(auth('shop', 'login'), { email: 'bob@example.com', password: 'bob has a good one' });
    expect(limited.status).toBe(429);
  });

  it('rotates refresh tokens, and a reused one revokes the whole family', async () => {
    const first = await signUp('shop', 'carol@example.com', 'carol password 1');
    const second = await postJson(auth('shop', 'refresh'), { refresh_token: first.refresh_token });
    expect(second.status).toBe(200);
    const rotated = second.json.data as SessionBody;
    expect(rotated.refresh_token).not.toBe(first.refresh_token);
    const third = (await postJson(auth('shop', 'refresh'), { refresh_token: rotated.refresh_token })).json.data as SessionBody;

    // The first token comes back (stolen, replayed): refused, and the live one dies with it.
    const replay = await postJson(auth('shop', 'refresh'), { refresh_token: first.refresh_token });
    expect(replay).toMatchObject({ status: 401, json: { error: { code: 'AUTH_INVALID', details: { reason: 'reused' } } } });
    const live = await postJson(auth('shop', 'refresh'), { refresh_token: third.refresh_token });
    expect(live.json.error).toMatchObject({ code: 'AUTH_INVALID', details: { reason: 'revoked' } });
    expect(t.node.system.events.recent('security.refresh.reused').length).toBe(1);
  });

  it('refuses concurrent redemption of one refresh token: exactly one wins', async () => {
    const s = await signUp('shop', 'dave@example.com', 'dave password 1');
    const results = await Promise.all([1, 2, 3].map(() => postJson(auth('shop', 'refresh'), { refresh_token: s.refresh_token })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it('logs out (the refresh token and its family stop working) and keeps refresh tokens to their project', async () => {
    const s = (await postJson(auth('shop', 'login'), { email: 'alice@example.com', password: 'correct horse battery' })).json.data as SessionBody;
    expect((await postJson(auth('other', 'refresh'), { refresh_token: s.refresh_token })).json.error.code).toBe('AUTH_INVALID');
    expect((await postJson(auth('shop', 'logout'), { refresh_token: s.refresh_token })).status).toBe(200);
    expect((await postJson(auth('shop', 'refresh'), { refresh_token: s.refresh_token })).json.error).toMatchObject({ code: 'AUTH_INVALID', details: { reason: 'revoked' } });
  });

  it('disabling a user refuses its login, its sessions and its live access token at once', async () => {
    const s = await signUp('shop', 'erin@example.com', 'erin password 1');
    await expect(t.gate.authenticate(bearer(s.access_token), 'shop', '127.0.0.1')).resolves.toMatchObject({ subject: s.user.id });
    await t.ask('user.disable', { project: 'shop', id: 'erin@example.com' });
    await expect(t.gate.authenticate(bearer(s.access_token), 'shop', '127.0.0.1')).rejects.toMatchObject({ code: 'AUTH_USER_DISABLED' });
    expect((await postJson(auth('shop', 'refresh'), { refresh_token: s.refresh_token })).json.error.code).toBe('AUTH_INVALID');
    expect((await postJson(auth('shop', 'login'), { email: 'erin@example.com', password: 'erin password 1' })).json.error.code).toBe('AUTH_USER_DISABLED');
    await t.ask('user.enable', { project: 'shop', id: s.user.id });
    await expect(t.gate.authenticate(bearer(s.access_token), 'shop', '127.0.0.1')).resolves.toMatchObject({ subject: s.user.id });
  });

  it('limits logins per address across emails, and signups per address, cluster-wide buckets', async () => {
    const limited = await startAuthNode(['shop'], {
      MOBO_AUTH__LIMITS__LOGIN_PER_IP__BURST: '10',
      MOBO_AUTH__LIMITS__LOGIN_PER_IP__REFILL_MS: '600000',
      MOBO_AUTH__LIMITS__SIGNUP_PER_IP__BURST: '3',
      MOBO_AUTH__LIMITS__SIGNUP_PER_IP__REFILL_MS: '600000',
    });
    try {
      await limited.ask('signup.set', { project: 'shop', signup: 'open' });
      const url = (path: string) => `${limited.url}/v1/auth/shop/${path}`;
      const codes: string[] = [];
      // An attacker spraying one password over many accounts from one address: a different email each time.
      for (let i = 0; i < 12; i++) codes.push((await postJson(url('login'), { email: `victim${i}@example.com`, password: 'Summer2026!' })).json.error.code);
      expect(codes.slice(0, 10)).toEqual(Array(10).fill('AUTH_BAD_PASSWORD'));
      expect(codes.slice(10)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
      const signups: number[] = [];
      for (let i = 0; i < 5; i++) signups.push((await postJson(url('signup'), { email: `bot${i}@example.com`, password: 'bot password 1' })).status);
      expect(signups).toEqual([201, 201, 201, 429, 429]);
    } finally {
      await limited.node.stop();
    }
  });

  it('never stores a password, a refresh token or an API key in clear', async () => {
    const created = await t.ask<{ key: string }>('key.create', { project: 'shop', role: 'viewer' });
    const rows = [
      ...(await t.node.system.ref(t.node.address('store')).ask<Array<Record<string, unknown>>>('ds.select', { table: 'mobo_auth_users' })),
      ...(await t.node.system.ref(t.node.address('store')).ask<Array<Record<string, unknown>>>('ds.select', { table: 'mobo_auth_api_keys' })),
    ];
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain('correct horse battery');
    expect(dump).not.toContain(created.key);
    expect(dump).toMatch(/scrypt\$15\$8\$1\$/);
  });
});
