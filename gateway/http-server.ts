/**
 * HTTP on uWebSockets.js: the only module that imports it. It reads each request in
 * full (headers synchronously, as uWS requires, then the body up to the limit), runs
 * the matched route, and writes the response corked, with CORS, gzip when asked, and
 * metrics. Handlers just throw MoboErrors.
 */
import { constants, gzip } from 'node:zlib';
import uws from 'uWebSockets.js';
import { allowedOrigin, corsHeaders, preflight } from './cors.js';
import { fail } from './envelope.js';
import type { HttpRequest, HttpResponse } from './http-types.js';
import type { Metrics } from './metrics.js';
import type { Socket, TopicPublisher, UpgradeRequest, WebSocketRoute } from './websocket-types.js';
import { type Logger, MoboError, nextId } from '../runtime/index.js';

/**
 * Dynamic answers are compressed at zlib's fastest level (nginx's default gzip_comp_level is 1
 * for the same reason): on JSON it keeps most of level 6's saving at a third of its CPU, and a
 * 2 MB embed answer spent 60 ms compressing and inflating at the default level.
 */
const GZIP = { level: constants.Z_BEST_SPEED };

/** What answers the requests: the edge's pipeline (gateway/edge.ts). It never throws. */
export interface RequestDispatcher {
  dispatch(request: HttpRequest, onRoute: (pattern: string) => void): Promise<HttpResponse>;
}

export interface HttpServerOptions {
  bodyLimitBytes: number;
  corsOrigins: readonly string[];
  gzipMinBytes: number;
  metrics?: Metrics;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 206: 'Partial Content', 300: 'Multiple Choices', 400: 'Bad Request',
  401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable',
  409: 'Conflict', 413: 'Payload Too Large', 422: 'Unprocessable Entity', 429: 'Too Many Requests',
  500: 'Internal Server Error', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/** uWS's LIBUS_LISTEN_EXCLUSIVE_PORT (its typings declare the enum, the module exports only the number). */
const LISTEN_EXCLUSIVE_PORT = 1;
/** uWS takes (host, port, options, cb) although its typings list options only without a host. */
type ListenWithOptions = (host: string, port: number, options: number, cb: (socket: uws.us_listen_socket | false) => void) => void;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

interface SocketData {
  socket?: Socket;
  initial: Record<string, unknown>;
  ip: string;
}

export class HttpServer implements TopicPublisher {
  private listenSocket: uws.us_listen_socket | undefined;
  private readonly app: uws.TemplatedApp;
  private inFlight = 0;
  private drained: (() => void) | undefined;
  /** Set by close(): kept-alive connections get 503 from then on. */
  private closing = false;
  /** Open WebSockets, ended on close (this uWS has no App.close()). */
  private readonly sockets = new Set<uws.WebSocket<SocketData>>();

  constructor(
    private readonly dispatcher: RequestDispatcher,
    private readonly options: HttpServerOptions,
    private readonly log: Logger,
  ) {
    this.app = uws.App().any('/*', (res, req) => this.handle(res, req));
  }

  /** Serves WebSockets on a URL pattern; register before `listen`. */
  addWebSocket<Data extends Record<string, unknown>>(route: WebSocketRoute<Data>): void {
    const r = route as unknown as WebSocketRoute;
    this.app.ws<SocketData>(route.pattern, {
      maxPayloadLength: route.maxPayloadBytes ?? 64 * 1024,
      idleTimeout: route.idleTimeoutSeconds ?? 120,
      maxBackpressure: route.maxBackpressureBytes ?? 1024 * 1024,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => this.upgrade(r, res, req, context),
      open: (ws) => {
        this.sockets.add(ws);
        const state = ws.getUserData();
        const socket: Socket = {
          id: nextId(),
          ip: state.ip,
          data: state.initial,
          send: (text) => (['queued', 'sent', 'dropped'] as const)[ws.send(text, false)] ?? 'dropped',
          subscribe: (topic) => void ws.subscribe(topic),
          publish: (topic, text) => void ws.publish(topic, text, false),
          unsubscribe: (topic) => void ws.unsubscribe(topic),
          close: (code = 1000, reason = '') => ws.end(code, reason),
          bufferedBytes: () => ws.getBufferedAmount(),
        };
        state.socket = socket;
        r.open?.(socket);
      },
      message: (ws, message) => {
        const socket = ws.getUserData().socket;
        if (socket) r.message?.(socket, Buffer.from(message).toString('utf8'));
      },
      close: (ws, code) => {
        this.sockets.delete(ws);
        const socket = ws.getUserData().socket;
        if (socket) r.close?.(socket, code);
      },
    });
  }

  publish(topic: string, text: string): void {
    this.app.publish(topic, text, false);
  }

  subscribers(topic: string): number {
    return this.app.numSubscribers(topic);
  }

  /**
   * Starts listening; resolves with the bound port (useful with port 0). The port is bound
   * exclusively: uWS sets SO_REUSEPORT by default, and then a second node on a taken port
   * would bind too and the kernel would split connections between the two. A refused bind
   * rejects with HTTP_LISTEN_FAILED (uWS gives no errno; listen.ts finds out why).
   */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const listen = this.app.listen as unknown as ListenWithOptions;
      listen.call(this.app, host, port, LISTEN_EXCLUSIVE_PORT, (socket) => {
        if (!socket) return reject(new MoboError('HTTP_LISTEN_FAILED', `Cannot listen on ${host}:${port}`, { details: { host, port } }));
        this.listenSocket = socket;
        resolve(uws.us_socket_local_port(socket as unknown as uws.us_socket));
      });
    });
  }

  /** Stops accepting connections, then resolves once every request in flight has been answered. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.listenSocket) uws.us_listen_socket_close(this.listenSocket);
    this.listenSocket = undefined;
    for (const ws of [...this.sockets]) ws.end(1001, 'server stopping');
    this.sockets.clear();
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    // A response corked outside a uWS callback reaches the socket when the loop next turns;
    // without this turn a process exiting right after shutdown loses its last answer.
    await new Promise((resolve) => setImmediate(resolve));
  }

  private upgrade(route: WebSocketRoute, res: uws.HttpResponse, req: uws.HttpRequest, context: uws.us_socket_context_t): void {
    const headers: Record<string, string> = {};
    req.forEach((k, v) => (headers[k] = v));
    const ip = Buffer.from(res.getRemoteAddressAsText()).toString();
    const request: UpgradeRequest = { path: req.getUrl(), query: new URLSearchParams(req.getQuery() ?? ''), headers, ip };
    const params = paramsOf(route.pattern, request.path);
    let aborted = false;
    res.onAborted(() => (aborted = true));
    void Promise.resolve()
      .then(() => route.upgrade?.(request, params) ?? {})
      .then(
        (initial) => {
          if (aborted) return;
          res.cork(() =>
            res.upgrade<SocketData>(
              { initial, ip },
              headers['sec-websocket-key'] ?? '',
              headers['sec-websocket-protocol'] ?? '',
              headers['sec-websocket-extensions'] ?? '',
              context,
            ),
          );
        },
        (err: unknown) => {
          if (aborted) return;
          const response = fail(nextId(), err);
          res.cork(() => this.write(res, nextId(), response, JSON.stringify(response.body)));
        },
      );
  }

  private handle(res: uws.HttpResponse, req: uws.HttpRequest): void {
    if (this.closing) {
      res.cork(() => res.writeStatus('503 Service Unavailable').writeHeader('connection', 'close').end());
      return;
    }
    const started = performance.now();
    const headers: Record<string, string> = {};
    req.forEach((k, v) => (headers[k] = v));
    const given = headers['x-request-id'];
    const request: HttpRequest = {
      method: req.getMethod().toUpperCase(),
      path: req.getUrl(),
      query: new URLSearchParams(req.getQuery() ?? ''),
      headers,
      body: Buffer.alloc(0),
      ip: Buffer.from(res.getRemoteAddressAsText()).toString(),
      params: {},
      requestId: given !== undefined && REQUEST_ID.test(given) ? given : nextId(),
    };
    const origin = allowedOrigin(headers.origin, this.options.corsOrigins);
    let finished = false;
    let route = 'unmatched';
    this.inFlight++;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    };
    res.onAborted(finish);
    const send = (response: HttpResponse): void => {
      if (finished) return;
      if (origin) response.headers = { ...response.headers, ...corsHeaders(origin) };
      this.options.metrics?.httpRequests.inc({ method: request.method, route, status: String(response.status) });
      const project = projectOf(route, request.path);
      if (project) this.options.metrics?.projectRequests.inc({ project });
      this.options.metrics?.httpDuration.observe({ method: request.method, route }, (performance.now() - started) / 1000);
      this.encode(request, response, (body, encoding) => {
        if (finished) return;
        res.cork(() => this.write(res, request.requestId, response, body, encoding));
        finish();
      });
    };
    const run = (): void => {
      void this.dispatcher.dispatch(request, (pattern) => (route = pattern)).then(send);
    };

    if (request.method === 'OPTIONS' && headers['access-control-request-method']) {
      send(preflight(origin, headers['access-control-request-headers']));
      return;
    }
    if (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) return run();
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    res.onData((chunk, isLast) => {
      if (refused) return;
      size += chunk.byteLength;
      if (size > this.options.bodyLimitBytes) {
        refused = true;
        send(fail(request.requestId, new MoboError('HTTP_BODY_TOO_LARGE', undefined, { details: { limitBytes: this.options.bodyLimitBytes } })));
        return;
      }
      chunks.push(Buffer.from(chunk.slice(0)));
      if (!isLast) return;
      request.body = Buffer.concat(chunks);
      run();
    });
  }

  /** Serialises the body, gzipping it (off the event loop) when the client accepts gzip, it is large and not encoded already (precompressed files). */
  private encode(request: HttpRequest, response: HttpResponse, done: (body: string | Buffer | undefined, encoding?: 'gzip') => void): void {
    const raw = response.body;
    const body = raw === undefined ? undefined : typeof raw === 'string' || Buffer.isBuffer(raw) ? raw : JSON.stringify(raw);
    const acceptsGzip = /\bgzip\b/.test(request.headers['accept-encoding'] ?? '');
    const encoded = response.headers?.['content-encoding'] !== undefined;
    if (body === undefined || encoded || !acceptsGzip || Buffer.byteLength(body) < this.options.gzipMinBytes) return done(body);
    gzip(body, GZIP, (err, zipped) => (err ? done(body) : done(zipped, 'gzip')));
  }

  private write(res: uws.HttpResponse, requestId: string, response: HttpResponse, body: string | Buffer | undefined, encoding?: 'gzip'): void {
    res.writeStatus(`${response.status} ${STATUS_TEXT[response.status] ?? ''}`);
    res.writeHeader('x-request-id', requestId);
    const isJson = response.body !== undefined && typeof response.body !== 'string' && !Buffer.isBuffer(response.body);
    if (isJson) res.writeHeader('content-type', 'application/json; charset=utf-8');
    if (encoding) {
      res.writeHeader('content-encoding', encoding);
      res.writeHeader('vary', 'Accept-Encoding');
    }
    for (const [k, v] of Object.entries(response.headers ?? {})) res.writeHeader(k, v);
    if (body === undefined) return void res.end();
    res.end(body);
  }
}

/** `:name` segments of a uWS pattern, read from a path. */
/** The project a request went to, when its route names one (`:project`). */
function projectOf(pattern: string, path: string): string | undefined {
  const at = pattern.split('/').indexOf(':project');
  return at < 0 ? undefined : path.split('/')[at];
}

function paramsOf(pattern: string, path: string): Record<string, string> {
  const p = pattern.split('/');
  const parts = path.split('/');
  const params: Record<string, string> = {};
  p.forEach((segment, i) => {
    if (!segment.startsWith(':') || parts[i] === undefined) return;
    try {
      params[segment.slice(1)] = decodeURIComponent(parts[i]!);
    } catch {
      params[segment.slice(1)] = parts[i]!;
    }
  });
  return params;
}
