import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import type { Channel } from 'pusher-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import { DEFAULT_ISSUER } from '../../actors/auth/index.js';
import { signAccessToken } from '../../actors/auth/access-token.js';
import { loadSigner } from '../../actors/auth/signing-keys.js';
import { SecretBox } from '../../actors/kernel/secret-box.js';
import { controlStore } from '../../actors/kernel/store-slot.js';
import { NATS_URL } from '../support/nats.js';
import { connectClient, disconnect, projectApp, serverLib, startRealtimeNode, subscribed, type PusherClient, type RealtimeCreds, type TestNode } from './support.js';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Change {
  op: string;
  row: { id: number; owner_id: string } | null;
}

/** Resolves with the server's pusher:subscription_error on a channel that was subscribed. */
const ended = (channel: Channel) => new Promise<{ type: string; error: string; status: number }>((resolve) => channel.bind('pusher:subscription_error', resolve));

/** Every row change a channel hears, in order. */
function heard(channel: Channel): Change[] {
  const seen: Change[] = [];
  channel.bind_global((event: string, data: Change) => void (event.startsWith('pusher') || seen.push(data)));
  return seen;
}

async function signUpAndLogIn(t: TestNode, project: string, email: string): Promise<string> {
  const post = (path: string) =>
    fetch(`${t.url}/v1/auth/${project}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'a long password 1' }) });
  expect((await post('signup')).status).toBe(201);
  const login = (await (await post('login')).json()) as { data: { access_token: string } };
  return login.data.access_token;
}

describe('MagWS: revocation reaches live subscriptions (one node)', () => {
  let t: TestNode;
  let app: RealtimeCreds;
  const clients: PusherClient[] = [];
  const data = () => new DataClient(t.node.system.ref(sourceAddress('shop', 'main')));
  const client = async (credential: string) => {
    const c = await connectClient(t, app, credential);
    clients.push(c);
    return c;
  };
  const key = async (role: string) => t.admin<{ id: string; key: string }>('POST', '/v1/admin/projects/shop/keys', { role });

  beforeAll(async () => {
    t = await startRealtimeNode({ auth: { limits: { signupPerIp: { burst: 50 } } } });
    app = await projectApp(t, 'shop');
    await t.admin('POST', '/v1/admin/projects/shop/signup', { signup: 'open' });
    await t.admin('POST', '/v1/admin/projects/shop/sources', { name: 'main', kind: 'sqlite', url: join(t.dir, 'shop.db') });
    await data().createTable({
      name: 'orders',
      primaryKey: ['id'],
      columns: [
        { name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false },
        { name: 'owner_id', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
      ],
    });
    await t.admin('POST', '/v1/admin/projects/shop/policies', { role: 'authenticated', table: 'orders', operations: ['read'] });
  });
  afterAll(async () => {
    await Promise.all(clients.map(disconnect));
    await t?.node.stop();
  });

  it('a signed-up user reaches no table channel until a policy opens it', async () => {
    const token = await signUpAndLogIn(t, 'shop', 'nopolicy@example.com');
    const c = await client(token);
    await expect(subscribed(c, 'private-db-main.secrets')).rejects.toThrow(/refused/);
    await expect(subscribed(c, 'private-db-main.orders')).resolves.toBeDefined();
  });

  it("a revoked key's and a disabled user's subscriptions end, and hear nothing more; others keep theirs", async () => {
    const revoked = await key('developer');
    const kept = await key('developer');
    const userToken = await signUpAndLogIn(t, 'shop', 'soon-disabled@example.com');
    const [byRevoked, byKept, byUser] = await Promise.all([client(revoked.key), client(kept.key), client(userToken)]);
    const [chRevoked, chKept, chUser] = await Promise.all([byRevoked, byKept, byUser].map((c) => subscribed(c, 'private-db-main.orders')));
    const [seenRevoked, seenKept, seenUser] = [heard(chRevoked!), heard(chKept!), heard(chUser!)];
    await data().insert('orders', [{ id: 1, owner_id: 'x' }], false);
    await expect.poll(() => [seenRevoked.length, seenKept.length, seenUser.length]).toEqual([1, 1, 1]);

    const keyEnded = ended(chRevoked!);
    await t.admin('DELETE', `/v1/admin/projects/shop/keys/${revoked.id}`);
    expect(await keyEnded).toMatchObject({ type: 'AuthError', status: 401 });
    const userEnded = ended(chUser!);
    await t.admin('POST', '/v1/admin/projects/shop/users/soon-disabled@example.com/disable');
    expect(await userEnded).toMatchObject({ type: 'AuthError', status: 403 });

    await data().insert('orders', [{ id: 2, owner_id: 'x' }], false);
    await expect.poll(() => seenKept.length).toBe(2);
    // The kept key heard the second insert; a change reaches every subscriber of one node in one publish, so the others would have too.
    expect([seenRevoked.length, seenUser.length]).toEqual([1, 1]);
  });

  it("a user JWT's subscriptions end when the JWT expires (AUTH_TOKEN_EXPIRED), and the socket hears nothing more on them", async () => {
    const login = await signUpAndLogIn(t, 'shop', 'short-lived@example.com');
    const sub = (JSON.parse(Buffer.from(login.split('.')[1]!, 'base64url').toString()) as { sub: string }).sub;
    const config = t.node.configStore.current();
    const signer = await loadSigner(controlStore(t.node), SecretBox.forNode(config.dataDir, config.secrets.key), Date.now());
    // A real token of that user, as the node signs them, that lives 10 s (long enough to subscribe on a loaded box).
    const short = await signAccessToken(signer, { iss: DEFAULT_ISSUER, sub, project: 'shop', role: 'authenticated', kind: 'user' }, Date.now(), 10);
    const c = await client(short.access_token);
    const [orders, presence] = await Promise.all([subscribed(c, 'private-db-main.orders'), subscribed(c, 'presence-short-lived')]);
    const seen = heard(orders);
    const [ordersEnded, presenceEnded] = [ended(orders), ended(presence)];
    expect(await ordersEnded).toMatchObject({ type: 'AuthError', status: 401, error: expect.stringContaining('expired') });
    expect(await presenceEnded).toMatchObject({ status: 401 });
    // Not before its time: the token's exp had passed when the server ended them.
    expect(Date.now()).toBeGreaterThanOrEqual(short.expires_at * 1_000);

    const watcher = await client((await key('developer')).key);
    const watched = heard(await subscribed(watcher, 'private-db-main.orders'));
    await data().insert('orders', [{ id: 40, owner_id: 'x' }], false);
    await expect.poll(() => watched.length).toBe(1);
    expect(seen).toEqual([]);
    // And the expired token subscribes to nothing more.
    await expect(subscribed(c, 'private-after-expiry')).rejects.toThrow(/refused/);
  }, 60_000);

  it("removing the policy, or changing the user's role, ends the user's table subscriptions", async () => {
    const first = await client(await signUpAndLogIn(t, 'shop', 'role-change@example.com'));
    const second = await client(await signUpAndLogIn(t, 'shop', 'policy-gone@example.com'));
    const [chFirst, chSecond] = await Promise.all([subscribed(first, 'private-db-main.orders'), subscribed(second, 'private-db-main.orders')]);
    const presence = await subscribed(first, 'presence-lobby');
    const firstEnded = ended(chFirst);
    await t.admin('POST', '/v1/admin/projects/shop/users/role-change@example.com/role', { role: 'anon' });
    expect(await firstEnded).toMatchObject({ status: 403 });
    // Still a user of the project: its presence channel stays.
    expect(presence.subscribed).toBe(true);

    const secondEnded = ended(chSecond);
    await t.admin('DELETE', '/v1/admin/projects/shop/policies/authenticated/orders');
    expect(await secondEnded).toMatchObject({ status: 403 });
  });
});

describe('MagWS: revocation reaches live subscriptions on another node (NATS, one Postgres control store)', () => {
  const run = randomBytes(4).toString('hex');
  const controlDb = `mobo_rev_${run}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  let a: TestNode;
  let b: TestNode;
  const clients: PusherClient[] = [];

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${controlDb}`);
    const url = new URL(PG_URL);
    url.pathname = `/${controlDb}`;
    const shared = { MOBO_NATS_URL: NATS_URL, MOBO_CONTROL__KIND: 'postgres', MOBO_CONTROL__URL: url.toString(), MOBO_SECRETS__KEY: randomBytes(32).toString('base64') };
    a = await startRealtimeNode({}, { ...shared, MOBO_NODE_ID: `rev-a-${run}` });
    b = await startRealtimeNode({}, { ...shared, MOBO_NODE_ID: `rev-b-${run}` });
  });
  afterAll(async () => {
    await Promise.all(clients.map(disconnect));
    await a?.node.stop();
    await b?.node.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${controlDb} WITH (FORCE)`);
    await admin.end();
  });

  it('a key revoked through node a ends its subscription held on node b; the HTTP API then reaches only the kept one', async () => {
    await a.admin('POST', '/v1/admin/projects', { name: 'shop' });
    const app = await projectApp(a, 'shop');
    const revoked = await a.admin<{ id: string; key: string }>('POST', '/v1/admin/projects/shop/keys', { role: 'developer' });
    const kept = await a.admin<{ id: string; key: string }>('POST', '/v1/admin/projects/shop/keys', { role: 'developer' });
    const onB = [await connectClient(b, app, revoked.key), await connectClient(b, app, kept.key)];
    clients.push(...onB);
    const [chRevoked, chKept] = await Promise.all(onB.map((c) => subscribed(c, 'private-db-main.orders')));
    const keyEnded = ended(chRevoked!);
    await a.admin('DELETE', `/v1/admin/projects/shop/keys/${revoked.id}`);
    expect(await keyEnded).toMatchObject({ type: 'AuthError', status: 401 });

    const got: string[] = [];
    chRevoked!.bind('note', (d: { n: string }) => got.push(`revoked ${d.n}`));
    const keptHeard = new Promise<void>((resolve) => chKept!.bind('note', (d: { n: string }) => (got.push(`kept ${d.n}`), resolve())));
    await serverLib(a, app).trigger('private-db-main.orders', 'note', { n: '1' });
    await keptHeard;
    expect(got).toEqual(['kept 1']);
  });
});
