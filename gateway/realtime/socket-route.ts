import type { Socket, WebSocketRoute } from '../websocket-types.js';
import type { AppDirectory, RealtimeApp } from './apps.js';
import { fullBucket, spend } from '../../tools/index.js';
import { ConnectionCounts, type ConnectionCaps } from './caps.js';
import type { Connection } from './connection.js';
import type { RealtimeHub } from './hub.js';
import { errorFrame, frame, newSocketId, parseClientMessage, pusherCode } from './protocol.js';
import { clientEvent, leaveAll, subscribe, unsubscribe, type ChannelLimits } from './subscriptions.js';
import { type Clock, describeError, type Logger, MoboError, toMoboError } from '../../runtime/index.js';

export interface SocketSettings extends ChannelLimits, ConnectionCaps {
  activityTimeoutSeconds: number;
  messagesPerSecond: number;
  messageBurst: number;
}

interface SocketData extends Record<string, unknown> {
  app?: RealtimeApp;
  refusal?: MoboError;
  conn?: Connection;
}

export function pusherSocketRoute(hub: RealtimeHub, apps: AppDirectory, settings: SocketSettings, log: Logger, clock: Clock): WebSocketRoute<SocketData> {
  const rate = { rps: settings.messagesPerSecond, burst: settings.messageBurst };
  const counts = new ConnectionCounts();
  const refuse = (socket: Socket<SocketData>, err: MoboError): void => {
    socket.send(errorFrame(err));
    socket.close(pusherCode(err.code) ?? 4001, err.message.slice(0, 100));
  };

  const handle = (conn: Connection, text: string): void => {
    if (!spend(conn.bucket, rate, clock.now())) throw new MoboError('WS_RATE_LIMITED');
    const msg = parseClientMessage(text);
    switch (msg.event) {
      case 'pusher:ping':
        return void conn.socket.send(frame('pusher:pong', {}));
      case 'pusher:subscribe':
        return subscribe(hub, conn, msg.data, settings, clock);
      case 'pusher:unsubscribe':
        return unsubscribe(hub, conn, msg.data);
      default:
        if (msg.event.startsWith('client-')) return clientEvent(hub, conn, msg, settings);
        if (msg.event === 'pusher:pong') return;
        throw new MoboError('WS_BAD_MESSAGE', `Unknown event "${msg.event.slice(0, 100)}"`);
    }
  };

  return {
    pattern: '/app/:key',
    maxPayloadBytes: settings.maxEventBytes + 4_096,
    idleTimeoutSeconds: settings.activityTimeoutSeconds + 30,
    async upgrade(req, params) {
      const protocol = Number(req.query.get('protocol') ?? 7);
      if (!(protocol >= 5 && protocol <= 7)) return { refusal: new MoboError('WS_PROTOCOL_UNSUPPORTED', undefined, { details: { protocol } }) };
      try {
        return { app: await apps.byKey(params.key ?? '') };
      } catch (err) {
        return { refusal: toMoboError(err) };
      }
    },
    open(socket) {
      const app = socket.data.app;
      if (!app) return refuse(socket, socket.data.refusal ?? new MoboError('WS_APP_NOT_FOUND'));
      try {
        counts.admit(socket.ip, app.id, settings);
      } catch (err) {
        return refuse(socket, toMoboError(err));
      }
      const conn: Connection = { socketId: newSocketId(), app, socket, subscriptions: new Map(), connectedAt: clock.now(), bucket: fullBucket(rate, clock.now()) };
      socket.data.conn = conn;
      hub.delivery.add(conn);
      socket.send(frame('pusher:connection_established', { socket_id: conn.socketId, activity_timeout: settings.activityTimeoutSeconds }));
    },
    message(socket, text) {
      const conn = socket.data.conn;
      if (!conn) return;
      try {
        handle(conn, text);
      } catch (err) {
        if (!(err instanceof MoboError)) log.warn('realtime message failed', { error: describeError(err) });
        socket.send(errorFrame(toMoboError(err)));
      }
    },
    close(socket) {
      const conn = socket.data.conn;
      if (!conn) return;
      socket.data.conn = undefined;
      counts.release(socket.ip, conn.app.id);
      hub.delivery.remove(conn.socketId);
      leaveAll(hub, conn);
    },
  };
}
