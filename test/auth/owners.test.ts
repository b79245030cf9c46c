import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Owners } from '../../actors/auth/owners.js';
import { controlStore } from '../../actors/kernel/store-slot.js';
import { readAdminToken } from '../../gateway/admin-token.js';
import { bearer, postJson, startAuthNode, type AuthNode } from './helpers.js';

/** Owner accounts: people who sign in to the admin page and API with email and password instead of the admin token. */
describe('owner accounts over the admin API', () => {
  let t: AuthNode;
  let adminToken = '';
  const admin = (path: string) => `${t.url}/v1/admin${path}`;
  const get = async (path: string, token: string) => {
    const res = await fetch(admin(path), { headers: bearer(token) });
    return { status: res.status, json: (await res.json()) as any };
  };
  const login = (email: string, password: string) => postJson(admin('/login'), { email, password });

  beforeAll(async () => {
    // Eight sign-ins per email and address before the limit (the flows below use seven; the last test hits it).
    t = await startAuthNode([], { MOBO_AUTH__LIMITS__LOGIN_PER_EMAIL__BURST: '8' });
    adminToken = readAdminToken(t.node.configStore.current().dataDir)!;
  });
  afterAll(async () => {
    await t?.node.stop();
  });

  it('creates an account with the admin token; its session then reaches the admin API like the token', async () => {
    const created = await postJson(admin('/owners'), { email: 'Ops@Example.com', password: 'a long owner passphrase' }, bearer(adminToken));
    expect(created).toMatchObject({ status: 201, json: { data: { email: 'ops@example.com', disabled: false } } });
    expect(JSON.stringify(created.json)).not.toContain('passphrase');

    const session = await login('ops@example.com', 'a long owner passphrase');
    expect(session.status).toBe(200);
    const token = session.json.data.token as string;
    expect(token).toMatch(/^mobo_session_/);
    expect(session.json.data.expiresAt).toBeGreaterThan(Date.now());
    expect((await get('/status', token)).status).toBe(200);
    expect((await get('/owners', token)).json.data).toEqual([expect.objectContaining({ email: 'ops@example.com' })]);
  });

  it('refuses a wrong password and an unknown email alike, and a made-up session token', async () => {
    const wrong = await login('ops@example.com', 'not the passphrase');
    const unknown = await login('nobody@example.com', 'not the passphrase');
    expect(wrong).toMatchObject({ status: 401, json: { error: { code: 'AUTH_BAD_PASSWORD' } } });
    expect(unknown).toMatchObject({ status: 401, json: { error: { code: 'AUTH_BAD_PASSWORD', message: wrong.json.error.message } } });
    expect((await get('/status', 'mobo_session_made-up')).json.error.code).toBe('AUTH_INVALID');
    expect((await postJson(admin('/login'), { email: 'not an email', password: 'x' })).json.error.code).toBe('MESSAGE_INVALID');
  });

  it('logout ends the session on the node; disabling an account ends its sessions and refuses sign-in', async () => {
    const first = (await login('ops@example.com', 'a long owner passphrase')).json.data.token as string;
    expect((await postJson(admin('/logout'), {}, bearer(first))).status).toBe(200);
    expect((await get('/status', first)).json.error.code).toBe('AUTH_INVALID');

    const second = (await login('ops@example.com', 'a long owner passphrase')).json.data.token as string;
    expect((await postJson(admin('/owners/ops%40example.com/disable'), {}, bearer(adminToken))).json.data.disabled).toBe(true);
    expect((await get('/status', second)).json.error.code).toBe('AUTH_INVALID');
    expect((await login('ops@example.com', 'a long owner passphrase')).json.error.code).toBe('AUTH_USER_DISABLED');

    await postJson(admin('/owners/ops%40example.com/enable'), {}, bearer(adminToken));
    const third = (await login('ops@example.com', 'a long owner passphrase')).json.data.token as string;
    const removed = await fetch(admin('/owners/ops%40example.com'), { method: 'DELETE', headers: bearer(adminToken) });
    expect(removed.status).toBe(200);
    expect((await get('/status', third)).json.error.code).toBe('AUTH_INVALID');
    expect((await fetch(admin('/owners/ops%40example.com'), { method: 'DELETE', headers: bearer(adminToken) })).status).toBe(404);
  });

  it('refuses a weak password and a second account with the same email', async () => {
    expect((await postJson(admin('/owners'), { email: 'weak@example.com', password: 'short' }, bearer(adminToken))).json.error.code).toBe('AUTH_WEAK_PASSWORD');
    await postJson(admin('/owners'), { email: 'twice@example.com', password: 'a long owner passphrase' }, bearer(adminToken));
    expect((await postJson(admin('/owners'), { email: 'TWICE@example.com', password: 'a long owner passphrase' }, bearer(adminToken))).status).toBe(409);
  });

  it('sign-in attempts share the login limits of end users: guessing one account is rate-limited', async () => {
    await postJson(admin('/owners'), { email: 'guess@example.com', password: 'a long owner passphrase' }, bearer(adminToken));
    const codes: string[] = [];
    for (let i = 0; i < 9; i++) codes.push((await login('guess@example.com', `guess number ${i}`)).json.error.code);
    expect(codes.slice(0, 8)).toEqual(Array(8).fill('AUTH_BAD_PASSWORD'));
    expect(codes[8]).toBe('RATE_LIMITED');
    expect((await login('guess@example.com', 'a long owner passphrase')).json.error.code).toBe('RATE_LIMITED');
  });

  it('a session past its expiry is refused with AUTH_TOKEN_EXPIRED (times given, the store real)', async () => {
    const owners = new Owners(controlStore(t.node));
    await owners.create('clock@example.com', 'a long owner passphrase', 1_000);
    const session = await owners.login('clock@example.com', 'a long owner passphrase', 1_000, 60_000);
    expect(await owners.session(session.token, 60_999)).toEqual({ email: 'clock@example.com', expiresAt: 61_000 });
    await expect(owners.session(session.token, 61_000)).rejects.toMatchObject({ code: 'AUTH_TOKEN_EXPIRED' });
    // An expired session is deleted on sight: asked again, it is unknown.
    await expect(owners.session(session.token, 61_000)).rejects.toMatchObject({ code: 'AUTH_INVALID' });
  });
});
