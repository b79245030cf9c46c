import type { Board, ComponentSlot, SlotPlug } from '../actors/board.js';
import { mountBackupAdminRoutes } from './admin-backup-routes.js';
import { mountClusterAdminRoutes } from './admin-cluster-routes.js';
import { mountDataAdminRoutes } from './admin-ds-routes.js';
import { mountAdminRoutes } from './admin-routes.js';
import { mountAuthRoutes } from './auth-routes.js';
import type { EdgeContext } from './edge.js';
import { HttpServer } from './http-server.js';
import { mountMetricsRoute } from './metrics-route.js';
import { listenAndRecord } from './listen.js';
import { removeNodeFile, type NodeFile } from './node-file.js';
import { mountRealtime } from './realtime/index.js';
import { restErrors } from './rest/errors.js';
import { mountRest } from './rest/mount.js';
import { mountUi, uiErrors } from './ui/index.js';
import type { Behavior } from '../runtime/index.js';

export type { RouteMount } from './edge.js';

/**
 * The node's one HTTP listener. Its POST is binding the port, after every sibling with
 * routes has mounted them (so READY means every route answers); a restart rebinds it
 * without the components re-mounting (their routes live in the edge, not in the
 * listener). It records where it listens in `<dataDir>/node.json` for the CLI. The
 * operator channel goes through it, so it cannot be stopped, only restarted.
 */
export const httpSlot: ComponentSlot = {
  name: 'http',
  group: 'edge',
  listener: true,
  stoppable: false,
  behavior: (board: Board, { edge }: SlotPlug): Behavior => {
    let server: HttpServer | undefined;
    let recorded: NodeFile | undefined;
    return {
      async start(ctx) {
        const config = board.configStore.current();
        server = new HttpServer(edge, { bodyLimitBytes: config.http.bodyLimitBytes, corsOrigins: config.http.corsOrigins, gzipMinBytes: config.http.gzipMinBytes, metrics: edge.metrics }, ctx.log);
        edge.bindListener(server);
        recorded = await listenAndRecord(server, board);
        board.cluster.describe({ http: `http://${config.http.host}:${recorded.port}` });
        ctx.log.info('listening', { host: config.http.host, port: recorded.port });
      },
      receive: () => null,
      async stop() {
        const closing = server?.close();
        server = undefined;
        edge.bindListener(undefined);
        await closing;
        if (recorded) removeNodeFile(recorded);
      },
    };
  },
};

/** The operator API (`/v1/admin/*`, what the CLI uses), `/health` and `/metrics`: not stoppable either. */
export const adminSlot: ComponentSlot = {
  name: 'admin',
  group: 'edge',
  stoppable: false,
  routes: async (edge: EdgeContext) => {
    for (const mount of [mountAdminRoutes, mountClusterAdminRoutes, mountDataAdminRoutes, mountBackupAdminRoutes, mountMetricsRoute]) await mount(edge);
  },
};

/** MagAuth over HTTP: end users' sign-up, login, sessions, JWKS; operators' keys, users, roles. */
export const authRoutesSlot: ComponentSlot = { name: 'auth-routes', group: 'edge', dependsOn: [], routes: mountAuthRoutes };

/** MagGate: REST over every project's tables, in both wire formats. */
export const restSlot: ComponentSlot = { name: 'rest', group: 'edge', routes: mountRest, errors: restErrors };

/** MagWS: the Pusher protocol (WebSocket, HTTP API, channel auth, database channels). */
export const realtimeSlot: ComponentSlot = { name: 'realtime', group: 'edge', routes: mountRealtime };

/** MagUI: the admin page at `/_/`, built with the project and served from the package (gateway/ui/). */
export const uiSlot: ComponentSlot = { name: 'ui', group: 'edge', routes: mountUi, errors: uiErrors };

/** The edge's slots, in the order they go on the board. */
export const edgeSlots: readonly ComponentSlot[] = [adminSlot, authRoutesSlot, restSlot, realtimeSlot, uiSlot, httpSlot];
