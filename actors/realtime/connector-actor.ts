/**
 * Connector mode: the node publishes to an external Soketi/Pusher instead of serving
 * clients itself. This actor owns that server's HTTP client, so its health is the
 * supervisor's to see: `degraded` while the external server does not answer.
 */
import { z } from 'zod';
import { PusherHttpClient } from '../../gateway/realtime/pusher-http-client.js';
import type { Board } from '../board.js';
import type { MoboConfig } from '../../config/index.js';
import { type Behavior, describeError, dispatch, type HealthReport, MoboError, on } from '../../runtime/index.js';
import type { ChildSpec } from '../../supervisors/index.js';

export const CONNECTOR = 'realtime-connector';

export const TRIGGER = 'rt.trigger';
const HEALTH_PING_MS = 500;
export const triggerSchema = z.object({
  project: z.string().min(1),
  channels: z.array(z.string().min(1)).min(1).max(100),
  event: z.string().min(1).max(200),
  data: z.string(),
  exclude: z.string().optional(),
});
export type TriggerMessage = z.infer<typeof triggerSchema>;

export function connectorBehavior(config: Readonly<MoboConfig>): Behavior {
  const { connector, apps } = config.realtime;
  if (!connector.url) throw new MoboError('CONFIG_INVALID', 'realtime.mode is "connector" but realtime.connector.url is not set');
  const client = new PusherHttpClient(connector.url, connector);
  let lastError: string | undefined;

  const appOf = (project: string) => {
    const app = apps.find((a) => a.project === project);
    if (!app) throw new MoboError('WS_APP_NOT_FOUND', `No realtime app configured for project "${project}" (realtime.apps)`, { details: { project } });
    return app;
  };
  const track = async <T>(work: Promise<T>): Promise<T> => {
    try {
      const value = await work;
      lastError = undefined;
      return value;
    } catch (err) {
      lastError = describeError(err);
      throw err;
    }
  };

  const handlers = {
    [TRIGGER]: on(triggerSchema, (m) => {
      const input = { channels: m.channels, event: m.event, data: m.data };
      return track(client.trigger(appOf(m.project), m.exclude === undefined ? input : { ...input, exclude: m.exclude }));
    }),
  };

  return {
    receive: (msg, ctx) => dispatch(handlers, msg, ctx),
    async health(): Promise<HealthReport> {
      const app = apps[0];
      // Bounded well under the supervisor's health timeout: an unreachable server is degraded, not a stuck actor.
      if (app) await track(client.ping(app, HEALTH_PING_MS)).catch(() => undefined);
      return lastError === undefined ? { status: 'ok', details: { url: connector.url } } : { status: 'degraded', details: { url: connector.url, lastError } };
    },
  };
}

/** The connector as a child of the edge group (added at run time when connector mode is configured). */
export function connectorSpec(board: Board): ChildSpec {
  return {
    name: CONNECTOR,
    create: () => board.system.spawn(board.address(CONNECTOR), () => connectorBehavior(board.configStore.current()), { mailbox: { concurrency: 64 } }),
  };
}
