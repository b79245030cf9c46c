import type { EdgeContext } from '../edge.js';
import type { AppDirectory } from './apps.js';
import type { ChannelInfo } from './publisher.js';
import { AUTH_PATH } from './auth-endpoint.js';
import { assertChannelName } from './protocol.js';

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
 * For the admin page (admin token), across the cluster:
 * - `GET /v1/admin/projects/:project/realtime/channels`: the project's occupied channels
 *   with their subscription counts (what the Pusher HTTP API answers a signed caller);
 * - `GET /v1/admin/projects/:project/realtime/clients[?channel=]`: its connected sockets
 *   (socket id, node, channels, connected since, remote address), oldest first; a
 *   malformed channel is WS_CHANNEL_INVALID.
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
  router.get(
    '/v1/admin/projects/:project/realtime/clients',
    admin(async (req) => {
      const channel = req.query.get('channel');
      if (channel !== null) assertChannelName(channel);
      const app = await apps.forProject(req.params.project!);
      return info.clients(app.id, channel === null ? {} : { channel });
    }),
  );
}
