import { gatekeeperFor } from '../../actors/auth/gatekeeper.js';
import { WriteRecords } from '../../actors/ds/write-records.js';
import { controlStore } from '../../actors/kernel/store-slot.js';
import type { EdgeContext } from '../edge.js';
import { gatherTables, openApiDocument, scopeTo } from '../openapi.js';
import { RateLimiter } from '../rate-limit.js';
import { dropCacheOnChanges } from './cache-invalidation.js';
import { Idempotency } from './idempotency.js';
import { ReadCache } from './read-cache.js';
import { ReadCoalescer } from './read-coalescer.js';
import { mountRestRoutes } from './routes.js';
import { SchemaCache } from './schema-cache.js';
import { describeError, isMoboError } from '../../runtime/index.js';

/** Expired Idempotency-Key records are deleted this often (by every node: a delete of nothing is cheap). */
const PRUNE_EVERY_MS = 10 * 60_000;

interface ProjectRow {
  project: string;
}
interface SourceRow {
  name: string;
}

/** MagGate: the REST API over every project's tables, its OpenAPI documents, and its rate limits. */
export function mountRest({ router, board, admin, metrics, log, onStop, hook }: EdgeContext): void {
  const gate = gatekeeperFor(board);
  const limiter = new RateLimiter(() => board.configStore.current().rateLimits, board.system.events, board.nodeId, board.system.clock);
  onStop(() => limiter.close());
  // Per IP before authentication (a flood of bad credentials is cut cheaply), per key after.
  hook({
    name: 'rate-limit',
    scope: 'own',
    onRequest: (req) => limiter.takeIp(req.ip),
    preHandler: (req) => {
      if (req.principal) limiter.takeKey(req.principal.keyId ?? req.principal.subject);
    },
  });
  const catalog = board.system.ref(board.address('catalog'), 'gateway');
  const schemas = new SchemaCache(board.system, async (project, source) =>
    (await catalog.ask<SourceRow[]>('source.list', { project }).catch((err: unknown) => {
      if (isMoboError(err, 'DS_PROJECT_NOT_FOUND')) return [];
      throw err;
    })).some((s) => s.name === source),
  );

  const describe = async (project: string) => {
    const sources = await catalog.ask<SourceRow[]>('source.list', { project });
    return gatherTables(project, sources.map((s) => s.name), (source) => schemas.tables(project, source));
  };
  const serverUrl = (): string => board.configStore.current().http.publicUrl ?? '/';

  const everything = admin(async () => {
    const projects = await Promise.all((await catalog.ask<ProjectRow[]>('project.list')).map((p) => describe(p.project)));
    return openApiDocument(projects.flatMap((p) => p.sources), serverUrl(), projects.flatMap((p) => p.leftOut));
  });
  // The document itself, as tools load it by URL: the admin guard's envelope is taken off (issue 13, item 5).
  router.get('/v1/openapi.json', async (req) => {
    const answer = await everything(req);
    return { ...answer, body: (answer.body as { data: unknown }).data };
  });
  router.get(
    '/v1/:project/openapi.json',
    async (req) => {
      const { sources, leftOut } = await describe(req.params.project!);
      return { status: 200, body: openApiDocument(await scopeTo(gate, req.principal!, sources), serverUrl(), leftOut) };
    },
    { authenticate: (req) => gate.authenticate(req.headers, req.params.project!, req.ip) },
  );
  const cache = new ReadCache(() => {
    const { http, transport } = board.configStore.current();
    return http.readCache.enabled && transport.kind === 'local' ? http.readCache : undefined;
  }, (hit) => metrics.readCacheLookups.inc({ result: hit ? 'hit' : 'miss' }));
  onStop(dropCacheOnChanges(board, cache, schemas));
  const reads = new ReadCoalescer(() => board.configStore.current().http.coalesceReads, cache);
  const store = controlStore(board);
  const { clock } = board.system;
  const idempotency = new Idempotency(store, new WriteRecords(store), () => board.configStore.current().http.idempotency, () => clock.now());
  let prune = clock.setTimeout(function tick() {
    void idempotency.prune().catch((err: unknown) => log.warn('pruning idempotency records failed', { error: describeError(err) }));
    prune = clock.setTimeout(tick, PRUNE_EVERY_MS);
  }, PRUNE_EVERY_MS);
  onStop(() => clock.clearTimeout(prune));
  mountRestRoutes(router, { gate, reads, cache, schemas, idempotency, log });
}
