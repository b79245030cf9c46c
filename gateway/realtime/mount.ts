/**
 * MagWS on the node's HTTP server. `realtime.mode`:
 * - `server` (default): the Pusher protocol on `/app/:key`, the Pusher HTTP API, channel
 *   auth, database channels, fan-out and presence across the cluster;
 * - `connector`: no WebSocket server here; the HTTP API, channel auth and database
 *   changes publish to the external server at `realtime.connector.url`;
 * - `off`: nothing.
 */
import { gatekeeperFor } from '../../actors/auth/gatekeeper.js';
import { CONNECTOR, connectorSpec } from '../../actors/realtime/connector-actor.js';
import type { EdgeContext } from '../edge.js';
import { appDirectory } from './apps.js';
import { mountRealtimeAuth } from './auth-endpoint.js';
import { connectorPublisher } from './connector-publisher.js';
import { forwardChanges } from './db-forward.js';
import { mountPusherHttpApi } from './http-api.js';
import { RealtimeHub, presenceKey } from './hub.js';
import type { ChannelInfo, RealtimePublisher } from './publisher.js';
import { mountRealtimeAdmin, mountRealtimeChannels } from './realtime-admin.js';
import { recheckOnAuthChanges } from './revocation.js';
import { pusherSocketRoute } from './socket-route.js';
import { describeError, isMoboError } from '../../runtime/index.js';

export async function mountRealtime(edge: EdgeContext): Promise<void> {
  const { board, log } = edge;
  const config = board.configStore.current();
  const settings = config.realtime;
  if (settings.mode === 'off') return;
  const server = settings.mode === 'server';
  const apps = appDirectory(board, { storeApps: server });
  mountRealtimeAuth(edge, apps, () => gatekeeperFor(board), { external: !server });
  mountRealtimeAdmin(edge, apps);

  if (!server) {
    if (!board.tree.names().includes(CONNECTOR)) {
      // Queued behind the edge group's own start: awaiting it here would wait on ourselves.
      void board.tree.addChildTo('edge', connectorSpec(board)).catch((err: unknown) => {
        if (!isMoboError(err, 'ACTOR_NAME_TAKEN')) log.error('realtime connector did not start', { error: describeError(err) });
      });
    }
    const { timeoutMs, retries, backoffMs } = settings.connector;
    const publisher = connectorPublisher(board, timeoutMs * (retries + 1) + backoffMs * 2 ** retries + 1_000);
    mountPusherHttpApi(edge, apps, publisher, undefined, settings);
    edge.onStop(forwardChanges(board.system.events, apps, publisher, log));
    return;
  }

  const hub = new RealtimeHub({ nodeId: board.nodeId, transport: board.system.transport, events: board.system.events, topics: edge.server, cluster: board.cluster });
  const publisher: RealtimePublisher = { trigger: async (app, e) => hub.trigger({ ...e, appId: app.id }) };
  const info: ChannelInfo = {
    occupancy: (appId, filter) => hub.occupancy(appId, filter),
    users: (appId, channel) => hub.presence.members.snapshot(presenceKey(appId, channel)).ids,
    clients: (appId, filter) => hub.clients(appId, filter),
  };
  edge.server.addWebSocket(pusherSocketRoute(hub, apps, settings, log, board.system.clock));
  mountPusherHttpApi(edge, apps, publisher, info, settings);
  mountRealtimeChannels(edge, apps, info);
  await hub.start();
  edge.onStop(edge.metrics.extend(() => `# HELP mobo_realtime_connections Pusher WebSocket connections on this node\n# TYPE mobo_realtime_connections gauge\nmobo_realtime_connections ${hub.delivery.connections}\n`));
  edge.onStop(recheckOnAuthChanges(hub, gatekeeperFor(board), log));
  edge.onStop(() => hub.close());
}
