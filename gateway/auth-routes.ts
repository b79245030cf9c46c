import { gatekeeperFor } from '../actors/auth/gatekeeper.js';
import { keyProtocol } from '../actors/auth/index.js';
import { clientOf, type PayloadOf } from '../runtime/index.js';
import type { EdgeContext } from './edge.js';
import { bearerToken } from './admin-routes.js';
import { ok, parseJsonBody } from './envelope.js';
import type { HttpRequest } from './http-types.js';

/**
 * Logins and signups wait their turn in the hash pool: in a burst of 200 on 2 cores the last
 * one waits ≈ 200 × one hash ÷ cores (15–20 s here), and its hash is done whether or not
 * anyone still waits, so the ask allows a minute rather than answering 504 to a login that
 * then succeeds. Per-IP and per-email limits keep the queue from being an attacker's.
 */
const ASK = { timeoutMs: 60_000 };

function body(req: HttpRequest): Record<string, unknown> {
  const parsed = parseJsonBody(req.body);
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
}

/** A refresh token from the body: `refresh_token` (OAuth spelling) or `refreshToken`. */
const refreshToken = (req: HttpRequest): unknown => body(req).refresh_token ?? body(req).refreshToken;

/**
 * MagAuth over HTTP. End users: `/v1/auth/:project/signup|login|refresh|logout|user`
 * and the public keys at `/.well-known/jwks.json` (a bare JWKS, as verifiers expect).
 * Owner accounts sign in at `/v1/admin/login` (a session for the admin page and API).
 * Operators (admin token or owner session, for the CLI and MagUI): owner accounts, keys, users, roles, service accounts, row rules,
 * test tokens and signing key rotation under `/v1/admin`.
 */
export function mountAuthRoutes({ router, board, admin }: EdgeContext): void {
  const auth = board.system.ref(board.address('auth'), 'http');
  const gatekeeper = gatekeeperFor(board);
  const ask = (type: string, payload: unknown) => auth.ask(type, payload, ASK);
  const keys = clientOf(keyProtocol, auth, ASK);
  const p = (req: HttpRequest) => ({ project: req.params.project });
  const user = (type: string, status = 200) => async (req: HttpRequest) => ok(req.requestId, await ask(type, { ...body(req), ...p(req), ip: req.ip }), status);
  const session = (type: string) => async (req: HttpRequest) => ok(req.requestId, await ask(type, { ...p(req), refreshToken: refreshToken(req) }));

  router.get('/.well-known/jwks.json', async () => ({ status: 200, headers: { 'cache-control': 'public, max-age=300' }, body: await gatekeeper.jwks() }));
  router.post('/v1/auth/:project/signup', async (req) => {
    const { email, password } = body(req);
    return ok(req.requestId, await ask('auth.signup', { ...p(req), email, password, ip: req.ip }), 201);
  });
  router.post('/v1/auth/:project/login', user('auth.login'));
  router.post('/v1/auth/:project/refresh', session('auth.refresh'));
  router.post('/v1/auth/:project/logout', session('auth.logout'));
  router.get(
    '/v1/auth/:project/user',
    async (req) => {
      const principal = req.principal!;
      const profile = principal.kind === 'user' ? await ask('user.get', { project: principal.project, id: principal.subject }).catch(() => null) : null;
      return ok(req.requestId, { principal, user: profile });
    },
    { authenticate: (req) => gatekeeper.authenticate(req.headers, req.params.project!, req.ip) },
  );

  // The node's owner accounts: a login opens a session the admin guard accepts like the admin token.
  router.post('/v1/admin/login', async (req) => ok(req.requestId, await ask('owner.login', { ...body(req), ip: req.ip })));
  router.post('/v1/admin/logout', admin((req) => ask('owner.logout', { token: bearerToken(req) ?? '' })));
  router.get('/v1/admin/owners', admin(() => ask('owner.list', {})));
  router.post('/v1/admin/owners', admin((req) => ask('owner.create', body(req)), 201));
  router.post('/v1/admin/owners/:email/disable', admin((req) => ask('owner.disable', { email: req.params.email })));
  router.post('/v1/admin/owners/:email/enable', admin((req) => ask('owner.enable', { email: req.params.email })));
  router.delete('/v1/admin/owners/:email', admin((req) => ask('owner.remove', { email: req.params.email })));

  const base = '/v1/admin/projects/:project';
  const withId = (req: HttpRequest) => ({ ...p(req), id: req.params.id });
  const project = (req: HttpRequest) => req.params.project!;
  const keyId = (req: HttpRequest) => ({ project: project(req), id: req.params.id! });
  // The body is checked by the auth actor against key.create's schema (MESSAGE_INVALID names the field).
  router.get(`${base}/keys`, admin((req) => keys.ask('key.list', { project: project(req) })));
  router.post(`${base}/keys`, admin((req) => keys.ask('key.create', { ...(body(req) as Partial<PayloadOf<(typeof keyProtocol)['key.create']>>), project: project(req) }), 201));
  router.post(`${base}/keys/:id/rotate`, admin((req) => keys.ask('key.rotate', keyId(req))));
  router.delete(`${base}/keys/:id`, admin((req) => keys.ask('key.revoke', keyId(req))));
  router.get(`${base}/users`, admin((req) => ask('user.list', p(req))));
  router.post(`${base}/users`, admin((req) => ask('user.create', { ...body(req), ...p(req) }), 201));
  router.post(`${base}/users/:id/disable`, admin((req) => ask('user.disable', withId(req))));
  router.post(`${base}/users/:id/enable`, admin((req) => ask('user.enable', withId(req))));
  router.post(`${base}/users/:id/role`, admin((req) => ask('user.role', { ...body(req), ...withId(req) })));
  router.post(`${base}/invites`, admin((req) => ask('user.invite', { ...body(req), ...p(req) }), 201));
  router.get(`${base}/signup`, admin((req) => ask('signup.get', p(req))));
  router.post(`${base}/signup`, admin((req) => ask('signup.set', { ...body(req), ...p(req) })));
  router.get(`${base}/client-keys`, admin((req) => ask('keys.show', p(req))));
  router.get(`${base}/policies`, admin((req) => ask('policy.list', p(req))));
  router.post(`${base}/policies`, admin((req) => ask('policy.set', { ...p(req), policy: body(req) })));
  router.delete(`${base}/policies/:role/:table`, admin((req) => ask('policy.remove', { ...p(req), role: req.params.role, table: req.params.table })));
  router.get(`${base}/roles`, admin((req) => ask('role.list', p(req))));
  router.post(`${base}/roles`, admin((req) => ask('role.create', { ...p(req), role: body(req) }), 201));
  router.delete(`${base}/roles/:name`, admin((req) => ask('role.delete', { ...p(req), name: req.params.name })));
  router.get(`${base}/service-accounts`, admin((req) => ask('sa.list', p(req))));
  router.post(`${base}/service-accounts`, admin((req) => ask('sa.create', { ...body(req), ...p(req) }), 201));
  router.post(`${base}/service-accounts/:id/disable`, admin((req) => ask('sa.disable', withId(req))));
  router.get(`${base}/row-rules`, admin((req) => ask('rule.list', p(req))));
  router.post(`${base}/row-rules`, admin((req) => ask('rule.set', { ...p(req), rule: body(req) })));
  router.delete(`${base}/row-rules/:source/:table`, admin((req) => ask('rule.delete', { ...p(req), source: req.params.source, table: req.params.table })));
  router.post(`${base}/tokens`, admin((req) => ask('token.issue', { ...body(req), ...p(req) }), 201));
  router.post('/v1/admin/signing-keys/rotate', admin(() => ask('auth.signing.rotate', null)));
}
