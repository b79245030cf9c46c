import type { EdgeContext } from './edge.js';
import { parseJsonBody } from './envelope.js';
import type { HttpRequest } from './http-types.js';

/** Operator API for MagBackup. Create, verify and restore answer 202 with a job to poll. */
export function mountBackupAdminRoutes({ router, board, admin }: EdgeContext): void {
  const backup = board.system.ref(board.address('backup'), 'http');
  const body = (req: HttpRequest): Record<string, unknown> => {
    const parsed = req.body.length > 0 ? parseJsonBody(req.body) : {};
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  };
  const id = (req: HttpRequest) => ({ id: req.params.id });

  router.get('/v1/admin/backups', admin(() => backup.ask('backup.list', null, { timeoutMs: 30_000 })));
  router.post('/v1/admin/backups', admin((req) => backup.ask('backup.create', body(req)), 202));
  router.post('/v1/admin/backups/prune', admin((req) => backup.ask('backup.prune', body(req), { timeoutMs: 30_000 })));
  router.get('/v1/admin/backups/schedule', admin(() => backup.ask('backup.schedule.get')));
  router.post('/v1/admin/backups/schedule', admin((req) => backup.ask('backup.schedule.set', body(req))));
  router.get('/v1/admin/backups/jobs/:id', admin((req) => backup.ask('backup.job', id(req))));
  router.post('/v1/admin/backups/:id/verify', admin((req) => backup.ask('backup.verify', id(req)), 202));
  router.post('/v1/admin/backups/:id/restore', admin((req) => backup.ask('backup.restore', { ...body(req), ...id(req) }), 202));
}
