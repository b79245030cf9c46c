import type { Board, ComponentSlot } from '../actors/board.js';
import type { Behavior } from '../runtime/behavior.js';
import { describeError } from '../runtime/errors.js';
import { ensureAdminToken } from './admin-token.js';
import { adminGuard, mountAdminRoutes } from './admin-routes.js';
import { mountDataAdminRoutes } from './admin-ds-routes.js';
import { mountBackupAdminRoutes } from './admin-backup-routes.js';
import { mountAuthRoutes } from './auth-routes.js';
import type { EdgeContext, RouteMount } from './edge.js';
import { HttpServer } from './http-server.js';
import { Metrics } from './metrics.js';
import { mountMetricsRoute } from './metrics-route.js';
import { listenAndRecord } from './listen.js';
import { Router } from './router.js';
import { mountRest } from './rest/mount.js';
import { mountRealtime } from './realtime/index.js';

export type { RouteMount } from './edge.js';

/**
 * The node's HTTP listener as a component. Its POST is binding the port (after every
 * mount has added its routes); a restart rebinds it. It records where it listens in
 * `<dataDir>/node.json` for the CLI.
 */
export function httpSlot(mounts: RouteMount[] = []): ComponentSlot {
  return {
    name: 'http',
    group: 'edge',
    behavior: (board: Board): Behavior => {
      let server: HttpServer | undefined;
      const releases: Array<() => void | Promise<void>> = [];
      return {
        async start(ctx) {
          const config = board.configStore.current();
          const router = new Router();
          const metrics = new Metrics();
          server = new HttpServer(
            router,
            { bodyLimitBytes: config.http.bodyLimitBytes, corsOrigins: config.http.corsOrigins, gzipMinBytes: config.http.gzipMinBytes, metrics },
            ctx.log,
          );
          const edge: EdgeContext = {
            router,
            server,
            board,
            admin: adminGuard(ensureAdminToken(config.dataDir)),
            metrics,
            log: ctx.log,
            onStop: (release) => void releases.push(release),
          };
          // The REST routes go last: their patterns are the broadest.
          for (const mount of [mountAdminRoutes, mountDataAdminRoutes, mountAuthRoutes, mountMetricsRoute, mountBackupAdminRoutes, ...mounts, mountRealtime, mountRest]) await mount(edge);
          const port = await listenAndRecord(server, board, edge.onStop);
          ctx.log.info('listening', { host: config.http.host, port });
        },
        receive: () => null,
        async stop(ctx) {
          const closing = server?.close();
          server = undefined;
          await closing;
          for (const release of releases.splice(0).reverse()) {
            await Promise.resolve()
              .then(release)
              .catch((err: unknown) => ctx.log.warn('edge cleanup failed', { error: describeError(err) }));
          }
        },
      };
    },
  };
}
