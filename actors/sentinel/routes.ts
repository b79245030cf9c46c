import { z } from 'zod';
import type { EdgeContext } from '../../gateway/edge.js';
import { parseJsonBody } from '../../gateway/envelope.js';
import type { HttpRequest } from '../../gateway/http-types.js';
import { sentinelFor } from './sentinel.js';
import { MoboError } from '../../runtime/index.js';

const blockBody = z.object({ kind: z.string(), value: z.string(), reason: z.string().max(500).optional(), forMs: z.number().int().positive().optional() }).strict();
const allowBody = z.object({ kind: z.string(), value: z.string(), note: z.string().max(500).optional() }).strict();
const modeBody = z.object({ mode: z.enum(['block', 'monitor']) }).strict();

function parse<S extends z.ZodTypeAny>(schema: S, req: HttpRequest): z.infer<S> {
  const result = schema.safeParse(parseJsonBody(req.body) ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new MoboError('SENTINEL_TARGET_INVALID', `${issue.path.join('.') || 'body'}: ${issue.message}`, { details: { field: issue.path.join('.') } });
  }
  return result.data;
}

/**
 * The operator API the `mobo sentinel:*` commands use (admin token):
 *   GET    /v1/admin/sentinel                     status: mode, model, bands, blocks, allow list
 *   GET    /v1/admin/sentinel/events?type=&since=&limit=
 *   POST   /v1/admin/sentinel/blocks              {kind, value, reason?, forMs?}
 *   DELETE /v1/admin/sentinel/blocks/:kind/:value
 *   POST   /v1/admin/sentinel/allow               {kind, value, note?}
 *   DELETE /v1/admin/sentinel/allow/:kind/:value
 *   POST   /v1/admin/sentinel/mode                {mode}
 *   POST   /v1/admin/sentinel/reload              loads the configured model again
 * A key is named by its id (as `mobo key:list` shows it), a user as `<project>/<user id>`.
 * Also adds Sentinel's hook to the edge's pipeline (while `sentinel.enabled`) and its counters to `/metrics`.
 */
export function mountSentinel(edge: EdgeContext): void {
  const { router, board, admin } = edge;
  const sentinel = sentinelFor(board);
  // Only while Sentinel is on is it in the pipeline: off, a request never meets it.
  if (sentinel.config().enabled) edge.hook(sentinel.edgeHook());
  const base = '/v1/admin/sentinel';
  router.get(base, admin(async () => sentinel.status()));
  router.get(
    `${base}/events`,
    admin(async (req) => {
      const number = (name: string) => {
        const v = req.query.get(name);
        if (v === null) return undefined;
        if (!/^\d+$/.test(v)) throw new MoboError('SENTINEL_TARGET_INVALID', `${name} must be a whole number`, { details: { field: name } });
        return Number(v);
      };
      return sentinel.events({ type: req.query.get('type') ?? undefined, since: number('since'), limit: number('limit') });
    }),
  );
  router.post(`${base}/blocks`, admin(async (req) => sentinel.block(parse(blockBody, req)), 201));
  router.delete(`${base}/blocks/:kind/:value`, admin(async (req) => sentinel.unblock(req.params.kind!, req.params.value!)));
  router.post(`${base}/allow`, admin(async (req) => sentinel.allow(parse(allowBody, req)), 201));
  router.delete(`${base}/allow/:kind/:value`, admin(async (req) => sentinel.unallow(req.params.kind!, req.params.value!)));
  router.post(`${base}/mode`, admin(async (req) => ({ mode: await sentinel.setMode(parse(modeBody, req).mode) })));
  router.post(
    `${base}/reload`,
    admin(async () => {
      const guard = await sentinel.ensureModel(true);
      return { loaded: guard !== undefined, sha256: guard?.manifest.sha256 ?? null, loadMs: guard?.loadMs ?? null };
    }),
  );
  edge.onStop(edge.metrics.extend(() => sentinel.renderMetrics()));
}
