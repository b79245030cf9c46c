import type { HealthReportBody } from '../actors/kernel/health-actor.js';
import { ok, parseJsonBody } from './envelope.js';
import { tokenMatches } from './admin-token.js';
import type { HttpRequest, HttpResponse } from './http-types.js';
import type { EdgeContext } from './edge.js';
import { MoboError } from '../runtime/index.js';

const COMPONENT_ACTIONS = new Set(['start', 'stop', 'restart']);

/**
 * `/health` for load balancers and people, and the operator API under `/v1/admin`
 * (Bearer admin token, or an owner account's session) that the `mobo` CLI and MagUI use. `?node=<id>` reaches another node's
 * control actor over the transport.
 */
export type AdminHandler = (handle: (req: HttpRequest) => Promise<unknown>, status?: number) => (req: HttpRequest) => Promise<HttpResponse>;

/** Asks MagAuth whether a token that is not the admin token is an owner account's live session; throws when not. */
export type OwnerSessionCheck = (token: string) => Promise<unknown>;

/** The bearer token of a request, if any. */
export function bearerToken(req: HttpRequest): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() || undefined : undefined;
}

/**
 * Wraps a handler so it runs only for a request bearing the node's admin token, or the
 * session of one of its owner accounts (a sign-in to the admin page with email and password).
 */
export function adminGuard(adminToken: string, ownerSession: OwnerSessionCheck): AdminHandler {
  const authorize = async (req: HttpRequest): Promise<void> => {
    const presented = bearerToken(req);
    if (!presented) throw new MoboError('AUTH_REQUIRED', 'The admin API needs "Authorization: Bearer <admin token or owner session>"');
    if (!tokenMatches(presented, adminToken)) await ownerSession(presented);
  };
  return (handle, status = 200) => async (req) => {
    await authorize(req);
    return ok(req.requestId, await handle(req), status);
  };
}

export function mountAdminRoutes({ router, board, admin, traffic }: EdgeContext): void {
  const health = board.system.ref(board.address('health'));
  const control = (req: HttpRequest) => {
    const node = req.query.get('node');
    return board.system.ref(node ? `${node}.control` : board.address('control'), 'http');
  };

  router.get('/health', async () => {
    const report = await health.ask<HealthReportBody>('health.report');
    // A draining node answers 503 whatever its components say, so a load balancer takes it out.
    if (traffic.state !== 'serving') return { status: 503, body: { ...report, status: 'draining', traffic: traffic.state } };
    const serving = report.status === 'healthy' || report.status === 'degraded';
    return { status: serving ? 200 : 503, body: report };
  });
  router.get('/v1/admin/status', admin((req) => control(req).ask('node.status')));
  router.get('/v1/admin/health', admin(() => health.ask('health.report')));
  router.post(
    '/v1/admin/components/:name/:action',
    admin((req) => {
      const action = req.params.action!;
      if (!COMPONENT_ACTIONS.has(action)) throw new MoboError('HTTP_NOT_FOUND', `Unknown action "${action}"`, { details: { allowed: [...COMPONENT_ACTIONS] } });
      return control(req).ask(`component.${action}`, { name: req.params.name }, { timeoutMs: 30_000 });
    }),
  );
  router.post('/v1/admin/chaos/kill/:name', admin((req) => control(req).ask('chaos.kill', { name: req.params.name })));
  router.post(
    '/v1/admin/shutdown',
    admin((req) => {
      const body = parseJsonBody(req.body) as { reason?: unknown } | null;
      return control(req).ask('node.shutdown', { reason: typeof body?.reason === 'string' ? body.reason : 'requested over HTTP' });
    }),
  );
  router.post('/v1/admin/config/reload', admin(() => board.system.ref(board.address('config')).ask('config.reload')));
}
