import type { Behavior } from '../runtime/behavior.js';
import type { Board, ComponentSlot } from '../actors/board.js';
import { ensureAdminToken } from './admin-token.js';
import { adminGuard, mountAdminRoutes, type AdminHandler } from './admin-routes.js';
import { mountDataAdminRoutes } from './admin-ds-routes.js';
import { HttpServer } from './http-server.js';
import { writeNodeFile } from './node-file.js';
import { Router } from './router.js';

/** Routes other components add to the node's HTTP server (MagGate's REST API, realtime auth …). */
export type RouteMount = (router: Router, board: Board, admin: AdminHandler) => void;

/**
 * The node's HTTP listener as a component. Its POST is binding the port; a restart
 * rebinds it. It records where it listens in `<dataDir>/node.json` for the CLI.
 */
export function httpSlot(mounts: RouteMount[] = []): ComponentSlot {
  return {
    name: 'http',
    group: 'edge',
    behavior: (board: Board): Behavior => {
      let server: HttpServer | undefined;
      return {
        async start(ctx) {
          const config = board.configStore.current();
          const router = new Router();
          const admin = adminGuard(ensureAdminToken(config.dataDir));
          for (const mount of [mountAdminRoutes, mountDataAdminRoutes, ...mounts]) mount(router, board, admin);
          server = new HttpServer(router, { bodyLimitBytes: config.http.bodyLimitBytes, corsOrigins: config.http.corsOrigins, gzipMinBytes: config.http.gzipMinBytes }, ctx.log);
          const port = await server.listen(config.http.host, config.http.port);
          writeNodeFile(config.dataDir, { pid: process.pid, nodeId: board.nodeId, host: config.http.host, port, startedAt: new Date().toISOString() });
          ctx.log.info('listening', { host: config.http.host, port });
        },
        receive: () => null,
        async stop() {
          const closing = server?.close();
          server = undefined;
          await closing;
        },
      };
    },
  };
}
