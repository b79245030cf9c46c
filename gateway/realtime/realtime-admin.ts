import type { EdgeContext } from '../edge.js';
import type { AppDirectory } from './apps.js';
import type { ChannelInfo } from './publisher.js';
import { AUTH_PATH } from './auth-endpoint.js';

/**
 * `GET /v1/admin/projects/:project/realtime` (admin token): the project's Pusher app, made
 * on first use: what a back end gives the `pusher` library (appId, key, secret) and what a
 * client gives pusher-js (key, the WebSocket path, the auth endpoint).
 */
export function mountRealtimeAdmin({ router, admin }: EdgeContext, apps: AppDirectory): void {
  router.get(
    '/v1/admin/projects/:project/realtime',
    admin(async (req) => {
      const project = req.params.project!;
      const app = await apps.forProject(project);
      return { project, appId: app.id, key: app.key, secret: app.secret, websocketPath: `/app/${app.key}`, authEndpoint: AUTH_PATH.replace(':project', project) };
    }),
  );
}

/**
 * `GET /v1/admin/projects/:project/realtime/channels` (admin token): the project's occupied
 * channels across the cluster with their subscription counts (what the Pusher HTTP API
 * answers a signed caller), for the admin page.
 */
export function mountRealtimeChannels({ router, admin }: EdgeContext, apps: AppDirectory, info: ChannelInfo): void {
  router.get(
    '/v1/admin/projects/:project/realtime/channels',
    admin(async (req) => {
      const app = await apps.forProject(req.params.project!);
      const occupied = await info.occupancy(app.id, {});
      return Object.entries(occupied).map(([channel, subscriptions]) => ({ channel, subscriptions }));
    }),
  );
}
