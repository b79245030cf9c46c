import type { EdgeContext } from '../edge.js';
import { parseJsonBody } from '../envelope.js';
import type { HttpRequest, HttpResponse } from '../http-types.js';
import type { AppDirectory, RealtimeApp } from './apps.js';
import { assertChannelName, channelKind, SOCKET_ID } from './protocol.js';
import type { ChannelInfo, RealtimePublisher } from './publisher.js';
import { verifyRequest } from './signatures.js';
import { MoboError } from '../../runtime/index.js';

export interface HttpApiSettings {
  maxEventBytes: number;
  timestampSkewSeconds: number;
}

const MAX_CHANNELS = 100;
const MAX_BATCH = 10;

const invalid = (message: string) => new MoboError('WS_BAD_MESSAGE', message);

interface EventInput {
  name?: unknown;
  data?: unknown;
  channel?: unknown;
  channels?: unknown;
  socket_id?: unknown;
}

export function mountPusherHttpApi(edge: EdgeContext, apps: AppDirectory, publisher: RealtimePublisher, info: ChannelInfo | undefined, settings: HttpApiSettings): void {
  const signed = (handle: (req: HttpRequest, app: RealtimeApp) => Promise<unknown>) => async (req: HttpRequest): Promise<HttpResponse> => {
    const app = await apps.byId(req.params.appId ?? '');
    verifyRequest(app, req, Date.now(), settings.timestampSkewSeconds);
    return { status: 200, body: await handle(req, app) };
  };
  const channelInfo = (): ChannelInfo => {
    if (!info) throw new MoboError('WS_NOT_SERVED', 'Channel information comes from the external realtime server in connector mode');
    return info;
  };

  const trigger = async (app: RealtimeApp, input: EventInput): Promise<void> => {
    const channels = input.channels ?? (input.channel === undefined ? undefined : [input.channel]);
    if (typeof input.name !== 'string' || input.name.length === 0 || input.name.length > 200) throw invalid('"name" must be a string of 1 to 200 characters');
    if (!Array.isArray(channels) || channels.length === 0 || channels.length > MAX_CHANNELS) throw invalid(`"channels" must list 1 to ${MAX_CHANNELS} channels`);
    for (const c of channels) assertChannelName(c);
    const data = typeof input.data === 'string' ? input.data : JSON.stringify(input.data ?? null);
    if (Buffer.byteLength(data) > settings.maxEventBytes) throw new MoboError('WS_PAYLOAD_TOO_LARGE', undefined, { details: { limitBytes: settings.maxEventBytes } });
    const event = { channels: channels as string[], event: input.name, data };
    const exclude = typeof input.socket_id === 'string' && SOCKET_ID.test(input.socket_id) ? input.socket_id : undefined;
    await publisher.trigger(app, exclude === undefined ? event : { ...event, exclude });
  };
  const body = (req: HttpRequest): Record<string, unknown> => {
    const parsed = parseJsonBody(req.body);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('The body must be a JSON object');
    return parsed as Record<string, unknown>;
  };
  const wants = (req: HttpRequest, field: string) => (req.query.get('info') ?? '').split(',').includes(field);

  edge.router.post('/apps/:appId/events', signed(async (req, app) => (await trigger(app, body(req)), {})));
  edge.router.post(
    '/apps/:appId/batch_events',
    signed(async (req, app) => {
      const batch = body(req).batch;
      if (!Array.isArray(batch) || batch.length === 0 || batch.length > MAX_BATCH) throw invalid(`"batch" must hold 1 to ${MAX_BATCH} events`);
      for (const event of batch) if (event === null || typeof event !== 'object') throw invalid('Each batch entry must be an object');
      await Promise.all((batch as EventInput[]).map((event) => trigger(app, event)));
      return { batch: batch.map(() => ({})) };
    }),
  );
  edge.router.get(
    '/apps/:appId/channels',
    signed(async (req, app) => {
      const prefix = req.query.get('filter_by_prefix') ?? undefined;
      const userCount = wants(req, 'user_count');
      if (userCount && !prefix?.startsWith('presence-')) throw invalid('info=user_count needs filter_by_prefix=presence-');
      const occupied = await channelInfo().occupancy(app.id, prefix === undefined ? {} : { prefix });
      const channels: Record<string, { user_count?: number }> = {};
      for (const name of Object.keys(occupied)) channels[name] = userCount ? { user_count: channelInfo().users(app.id, name).length } : {};
      return { channels };
    }),
  );
  edge.router.get(
    '/apps/:appId/channels/:name',
    signed(async (req, app) => {
      const name = req.params.name!;
      assertChannelName(name);
      const count = (await channelInfo().occupancy(app.id, { channel: name }))[name] ?? 0;
      const out: Record<string, unknown> = { occupied: count > 0 };
      if (wants(req, 'subscription_count')) out.subscription_count = count;
      if (wants(req, 'user_count')) {
        if (channelKind(name) !== 'presence') throw invalid('user_count is only for presence channels');
        out.user_count = channelInfo().users(app.id, name).length;
      }
      return out;
    }),
  );
  edge.router.get(
    '/apps/:appId/channels/:name/users',
    signed(async (req, app) => {
      const name = req.params.name!;
      if (channelKind(name) !== 'presence') throw invalid('Users are listed for presence channels only');
      return { users: channelInfo().users(app.id, name).map((id) => ({ id })) };
    }),
  );
}
