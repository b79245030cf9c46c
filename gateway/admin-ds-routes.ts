import type { EdgeContext } from './edge.js';
import { parseJsonBody } from './envelope.js';
import type { HttpRequest } from './http-types.js';

/** Operator API for MagDS: projects, their sources, tables, and MagBridge copies. */
export function mountDataAdminRoutes({ router, board, admin }: EdgeContext): void {
  const catalog = board.system.ref(board.address('catalog'), 'http');
  const bridge = board.system.ref(board.address('bridge'), 'http');
  const body = (req: HttpRequest): Record<string, unknown> => {
    const parsed = parseJsonBody(req.body);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  };
  const p = (req: HttpRequest) => ({ project: req.params.project });
  const s = (req: HttpRequest) => ({ project: req.params.project, name: req.params.source });

  router.get('/v1/admin/projects', admin(() => catalog.ask('project.list')));
  router.post('/v1/admin/projects', admin((req) => catalog.ask('project.create', { project: body(req).name, ...(body(req).source !== undefined ? { source: body(req).source } : {}) }, { timeoutMs: 30_000 }), 201));
  router.delete('/v1/admin/projects/:project', admin((req) => catalog.ask('project.delete', { ...p(req), force: req.query.get('force') === 'true' })));
  router.get('/v1/admin/projects/:project/sources', admin((req) => catalog.ask('source.list', p(req))));
  router.post('/v1/admin/projects/:project/sources', admin((req) => catalog.ask('source.add', { ...body(req), ...p(req) }, { timeoutMs: 15_000 }), 201));
  router.delete('/v1/admin/projects/:project/sources/:source', admin((req) => catalog.ask('source.remove', s(req))));
  router.post('/v1/admin/projects/:project/sources/:source/test', admin((req) => catalog.ask('source.test', s(req))));
  router.get('/v1/admin/projects/:project/sources/:source/tables', admin((req) => catalog.ask('source.tables', s(req))));
  router.post('/v1/admin/bridge/copy', admin((req) => bridge.ask('bridge.copy', body(req), { timeoutMs: 3_600_000 })));
  router.get('/v1/admin/bridge/jobs/:id', admin((req) => bridge.ask('bridge.job', { id: req.params.id })));
}
