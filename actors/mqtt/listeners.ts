/**
 * The broker's listeners: MQTT over TCP (`mqtt.port`), over TLS (`mqtt.tls.port`, when a
 * certificate is configured) and over WebSocket for browsers (`mqtt.websocket.port`, path
 * `mqtt.websocket.path`, WSS when TLS is configured). The WebSocket listener is a port of
 * its own, served by the `ws` package, rather than a path on the HTTP listener: the HTTP
 * edge is uWebSockets.js, which hands out messages, not a byte stream, and lives in another
 * component; with its own port a broker crash or restart never touches HTTP, and HTTP
 * restarts never drop devices. A port that is taken fails the POST with MQTT_PORT_IN_USE
 * naming the setting and the port, and the MagMoBoMini node holding it (pid, data directory)
 * when it is one: each bound port is recorded in the per-user port registry.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { MqttConfig } from './config.js';
import { MoboError, portHolder, recordPort } from '../../runtime/index.js';

export interface Bound {
  tcp: number;
  tls?: number;
  websocket?: number;
}

export interface Listeners {
  readonly bound: Bound;
  close(): Promise<void>;
}

type Handle = (stream: Duplex, req?: IncomingMessage) => void;

/** Who opens the listeners: recorded beside each port, so a node refused one can name this one. */
export interface ListenerOwner {
  nodeId: string;
  dataDir: string;
}

export async function openListeners(config: MqttConfig, handle: Handle, owner: ListenerOwner): Promise<Listeners> {
  const tls = readTls(config.tls);
  const startedAt = new Date().toISOString();
  const forget: Array<() => void> = [];
  const listen = async (server: Server | HttpServer, port: number, setting: string): Promise<number> => {
    const bound = await listenOn(server, config.host, port, setting);
    forget.push(recordPort('mqtt', { pid: process.pid, nodeId: owner.nodeId, dataDir: owner.dataDir, port: bound, startedAt }));
    return bound;
  };
  const servers: Array<Server | HttpServer> = [];
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const closeAll = async (): Promise<void> => {
    forget.splice(0).forEach((f) => f());
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  };
  try {
    const tcp = createTcpServer((socket) => (track(socket), handle(socket)));
    servers.push(tcp);
    const bound: Bound = { tcp: await listen(tcp, config.port, 'mqtt.port') };
    if (tls) {
      const secure = createTlsServer(tls, (socket) => (track(socket), handle(socket)));
      servers.push(secure);
      bound.tls = await listen(secure, config.tls.port, 'mqtt.tls.port');
    }
    if (config.websocket.port !== null) {
      const http = tls ? createHttpsServer(tls) : createHttpServer();
      http.on('connection', track);
      servers.push(http);
      const wss = new WebSocketServer({ server: http, path: config.websocket.path, perMessageDeflate: false });
      // MQTT over WebSocket always offers the `mqtt` subprotocol (MQTT.js, Paho); accept it or none.
      wss.options.handleProtocols = (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false);
      wss.on('connection', (ws, req) => handle(createWebSocketStream(ws), req));
      bound.websocket = await listen(http, config.websocket.port, 'mqtt.websocket.port');
    }
    return { bound, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function listenOn(server: Server | HttpServer, host: string, port: number, setting: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.removeListener('listening', onListening);
      if (err.code === 'EADDRINUSE') {
        const holder = port === 0 ? undefined : portHolder('mqtt', port);
        const by = holder ? `MagMoBoMini node ${holder.nodeId} (pid ${holder.pid}, data directory ${holder.dataDir})` : 'another program (another broker?)';
        reject(
          new MoboError('MQTT_PORT_IN_USE', `${setting} ${port} on ${host} is already in use by ${by}; choose a free port`, {
            details: { setting, port, host, ...(holder ? { holder: { node: holder.nodeId, pid: holder.pid, dataDir: holder.dataDir } } : {}) },
          }),
        );
      } else {
        reject(new MoboError('MQTT_LISTEN_FAILED', `${setting} ${port} on ${host}: ${err.code ?? err.message}`, { details: { setting, port, host, reason: err.code ?? 'unknown' } }));
      }
    };
    const onListening = (): void => {
      server.removeListener('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function readTls(tls: MqttConfig['tls']): { cert: Buffer; key: Buffer } | undefined {
  if (!tls.certFile && !tls.keyFile) return undefined;
  if (!tls.certFile || !tls.keyFile) throw new MoboError('MQTT_TLS_INVALID', 'Give both mqtt.tls.certFile and mqtt.tls.keyFile', { details: { setting: tls.certFile ? 'mqtt.tls.keyFile' : 'mqtt.tls.certFile' } });
  const read = (path: string, setting: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new MoboError('MQTT_TLS_INVALID', `${setting}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { details: { setting, path } });
    }
  };
  return { cert: read(tls.certFile, 'mqtt.tls.certFile'), key: read(tls.keyFile, 'mqtt.tls.keyFile') };
}
