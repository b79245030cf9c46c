import type { Board } from '../actors/board.js';
import { SYSTEM_PREFIXES } from '../actors/ds/names.js';
import { adminGuard, type AdminHandler } from './admin-routes.js';
import { ensureAdminToken } from './admin-token.js';
import { fail } from './envelope.js';
import type { EdgeHook, RequestView, ResponseView } from './hooks.js';
import { requestView } from './hooks.js';
import type { HttpRequest, HttpResponse, RouteHandler, RouteOptions } from './http-types.js';
import { Metrics } from './metrics.js';
import { Router, type Route } from './router.js';
import { Traffic } from './traffic.js';
import type { Socket, TopicPublisher, WebSocketRoute } from './websocket-types.js';
import { describeError, type ErrorCode, type Logger, MoboError } from '../runtime/index.js';

export type { EdgeHook, RequestView, ResponseView } from './hooks.js';

/** What a component that serves on the node's HTTP port gets: MagGate REST, MagAuth, MagWS … */
export interface EdgeContext {
  router: RouteRegistrar;
  server: EdgeServer;
  board: Board;
  /** Wraps a handler so it runs only with the node's admin token. */
  admin: AdminHandler;
  metrics: Metrics;
  /** Requests in flight and the node's drain state (the operator API's cluster:drain, `/health`). */
  traffic: Traffic;
  log: Logger;
  /** Runs when the component's slot stops or crashes (timers, subscriptions, sockets). */
  onStop(release: () => void | Promise<void>): void;
  /** Adds a hook to the edge's request pipeline, for as long as the component runs. */
  hook(hook: EdgeHook): void;
}

export type RouteMount = (edge: EdgeContext) => void | Promise<void>;

/** Adds routes owned by one component. */
export interface RouteRegistrar {
  add(method: string, pattern: string, handler: RouteHandler, options?: RouteOptions): this;
  get(pattern: string, handler: RouteHandler, options?: RouteOptions): this;
  post(pattern: string, handler: RouteHandler, options?: RouteOptions): this;
  put(pattern: string, handler: RouteHandler, options?: RouteOptions): this;
  patch(pattern: string, handler: RouteHandler, options?: RouteOptions): this;
  delete(pattern: string, handler: RouteHandler, options?: RouteOptions): this;
}

/** WebSockets and uWS topics of the one listener, as a component sees them. */
export interface EdgeServer extends TopicPublisher {
  addWebSocket<Data extends Record<string, unknown>>(route: WebSocketRoute<Data>): void;
}

/** The listener (gateway/http-server.ts) as the edge needs it; absent while the listener restarts. */
export interface Listener extends TopicPublisher {
  addWebSocket(route: WebSocketRoute): void;
}

type OwnerState = 'up' | 'restarting' | 'stopped';

interface Attachment {
  owner: string;
  state: OwnerState;
  /** Bumped on every mount, so a late cleanup of an old incarnation touches nothing of the new one. */
  generation: number;
  routes: Set<Route>;
  /** Routes of the previous incarnation not yet re-added: answer 503 until the mount commits. */
  stale: Set<Route>;
  hooks: EdgeHook[];
  sockets: Set<Socket>;
  webSockets: Map<string, WebSocketRoute>;
}

/** What the motherboard holds for one mounted incarnation of a component. */
export interface EdgeMount {
  readonly context: EdgeContext;
  /** The mount succeeded: stale routes go, the component's routes answer. */
  commit(): void;
  /** The component stopped or crashed: its routes answer 503, its sockets close, its hooks go. */
  detach(reason: 'crash' | 'stop'): Promise<void>;
}

const NOT_UP: Record<Exclude<OwnerState, 'up'>, ErrorCode> = { restarting: 'COMPONENT_RESTARTING', stopped: 'COMPONENT_STOPPED' };
/** WebSocket close code for sockets of a component that went down: "service restart"; clients reconnect. */
const SERVICE_RESTART = 1012;

/**
 * The node's edge: one route table, one request pipeline and the WebSocket routes, behind
 * the one listener. Components mount into it from their own slots; a component that
 * stops or crashes leaves its routes in the table answering 503 until it is back, and
 * closes only its own sockets. The listener (the `http` slot) binds the port to
 * `dispatch`, and may itself restart without the components re-mounting.
 *
 * Pipeline per request: route → onRequest hooks → authenticate (the route's option) →
 * preHandler hooks → handler → onResponse hooks. A hook throws a MoboError to refuse.
 */
/**
 * `/v1/<x>/…` and `/rest/v1/<x>/…` are where project names go: a route may put a fixed
 * segment there only if it is a system prefix, which `project:create` refuses. So no
 * route can ever hide a project's tables.
 */
function claimsOnlyReserved(owner: string, method: string, pattern: string): void {
  const parts = pattern.split('/').filter((p) => p.length > 0);
  const at = parts[0] === 'v1' ? 1 : parts[0] === 'rest' && parts[1] === 'v1' ? 2 : -1;
  const segment = at < 0 ? undefined : parts[at];
  if (segment === undefined || segment.startsWith(':') || (SYSTEM_PREFIXES as readonly string[]).includes(segment)) return;
  throw new MoboError('HTTP_ROUTE_CONFLICT', `Route ${method.toUpperCase()} ${pattern} (${owner}) puts "${segment}" where project names go; use a system prefix (${SYSTEM_PREFIXES.join(', ')}), e.g. /v1/_/${owner}/…`, {
    details: { route: `${method.toUpperCase()} ${pattern}`, owner, segment },
  });
}

/** Owners whose routes a drain never refuses nor waits for: the operator API, `/health`, the admin page. */
const DRAIN_EXEMPT = new Set(['admin', 'ui']);

export class Edge {
  readonly metrics = new Metrics();
  readonly traffic = new Traffic();
  private readonly router = new Router();
  private readonly owners = new Map<string, Attachment>();
  /** Hooks of every component, flattened on change so a request does no allocation for them. */
  private onRequest: Array<{ owner: string; hook: EdgeHook }> = [];
  private preHandler: Array<{ owner: string; hook: EdgeHook }> = [];
  private onResponse: Array<{ owner: string; hook: EdgeHook }> = [];
  /** WebSocket patterns, each registered with the listener once; the current owner serves it. */
  private readonly webSockets = new Map<string, { owner: string; route: WebSocketRoute | undefined }>();
  private listener: Listener | undefined;

  constructor(private readonly board: Board) {}

  /** The http slot binds (or, with undefined, unbinds) the listener. */
  bindListener(listener: Listener | undefined): void {
    this.listener = listener;
    if (!listener) return;
    for (const pattern of this.webSockets.keys()) listener.addWebSocket(this.socketRoute(pattern));
  }

  /** Starts a mount of one component's routes, sockets and hooks (its slot's start). */
  mount(owner: string, log: Logger): EdgeMount {
    const a = this.attachment(owner);
    a.generation++;
    const generation = a.generation;
    for (const route of a.routes) a.stale.add(route);
    a.routes.clear();
    a.hooks = [];
    this.rebuildHooks();
    const releases: Array<() => void | Promise<void>> = [];
    const current = (): boolean => a.generation === generation;
    const add = (method: string, pattern: string, handler: RouteHandler, options: RouteOptions = {}): void => {
      claimsOnlyReserved(owner, method, pattern);
      const upper = method.toUpperCase();
      const old = [...a.stale].find((r) => r.method === upper && r.pattern === pattern);
      if (old) {
        this.router.remove(old);
        a.stale.delete(old);
      }
      a.routes.add(this.router.add({ method: upper, pattern, owner, handler, options }));
    };
    const registrar: RouteRegistrar = {
      add(method, pattern, handler, options) {
        add(method, pattern, handler, options);
        return this;
      },
      get(pattern, handler, options) {
        return this.add('GET', pattern, handler, options);
      },
      post(pattern, handler, options) {
        return this.add('POST', pattern, handler, options);
      },
      put(pattern, handler, options) {
        return this.add('PUT', pattern, handler, options);
      },
      patch(pattern, handler, options) {
        return this.add('PATCH', pattern, handler, options);
      },
      delete(pattern, handler, options) {
        return this.add('DELETE', pattern, handler, options);
      },
    };
    const server: EdgeServer = {
      addWebSocket: (route) => this.addWebSocket(a, route as unknown as WebSocketRoute),
      publish: (topic, text) => this.listener?.publish(topic, text),
      subscribers: (topic) => this.listener?.subscribers(topic) ?? 0,
    };
    const context: EdgeContext = {
      router: registrar,
      server,
      board: this.board,
      admin: adminGuard(ensureAdminToken(this.board.configStore.current().dataDir), (token) => this.board.system.ref(this.board.address('auth'), 'http').ask('owner.session', { token })),
      metrics: this.metrics,
      traffic: this.traffic,
      log,
      onStop: (release) => void releases.push(release),
      hook: (hook) => {
        if (!current()) return;
        a.hooks.push(hook);
        this.rebuildHooks();
      },
    };
    return {
      context,
      commit: () => {
        if (!current()) return;
        for (const route of a.stale) this.router.remove(route);
        a.stale.clear();
        a.state = 'up';
      },
      detach: async (reason) => {
        if (current()) {
          a.state = reason === 'crash' ? 'restarting' : 'stopped';
          a.hooks = [];
          this.rebuildHooks();
          for (const socket of [...a.sockets]) socket.close(SERVICE_RESTART, `${owner} ${reason === 'crash' ? 'restarting' : 'stopped'}`);
          a.sockets.clear();
        }
        for (const release of releases.splice(0).reverse()) {
          await Promise.resolve()
            .then(release)
            .catch((err: unknown) => log.warn('edge cleanup failed', { error: describeError(err) }));
        }
      },
    };
  }

  /** Every route of the table, with its owner. */
  routes(): Array<{ method: string; pattern: string; owner: string }> {
    return this.router.routes().map(({ method, pattern, owner }) => ({ method, pattern, owner }));
  }

  /** The pipeline. Never throws: failures become the route family's error response. */
  async dispatch(req: HttpRequest, onRoute: (pattern: string) => void): Promise<HttpResponse> {
    const started = performance.now();
    let route: Route | undefined;
    let response: HttpResponse;
    let counted = false;
    /** One view per request, made when the first hook runs: every phase's hooks see the same one. */
    let view: RequestView | undefined;
    try {
      const match = this.router.match(req.method, req.path);
      route = match.route;
      onRoute(match.pattern);
      req.params = match.params;
      if (!DRAIN_EXEMPT.has(route.owner)) {
        if (this.traffic.refusing) throw new MoboError('NODE_DRAINING', undefined, { details: { node: this.board.nodeId, retryAfterSeconds: 1 } });
        this.traffic.begin();
        counted = true;
      }
      const state = this.owners.get(route.owner)?.state ?? 'restarting';
      if (state !== 'up') throw new MoboError(NOT_UP[state], undefined, { details: { component: route.owner, retryAfterSeconds: 1 } });
      if (this.onRequest.length > 0) {
        const pending = this.runHooks(this.onRequest, 'onRequest', (view ??= requestView(req, route)), 0);
        if (pending) await pending;
      }
      const authenticate = route.options.authenticate;
      if (authenticate) req.principal = await authenticate(req);
      if (this.preHandler.length > 0) {
        const pending = this.runHooks(this.preHandler, 'preHandler', (view ??= requestView(req, route)), 0);
        if (pending) await pending;
      }
      response = await route.handler(req);
    } catch (err) {
      if (!(err instanceof MoboError)) this.board.log.error('request failed', { path: req.path, requestId: req.requestId, error: describeError(err) });
      response = route?.options.error ? route.options.error(req, err) : fail(req.requestId, err);
    }
    if (counted) this.traffic.end();
    if (this.onResponse.length > 0 && route) this.observe((view ??= requestView(req, route)), response, performance.now() - started);
    return response;
  }

  /**
   * Runs a phase's hooks in order from `from`; synchronous while they are (a hook returning
   * nothing costs no await), a promise from the first hook that returns one.
   */
  private runHooks(hooks: ReadonlyArray<{ owner: string; hook: EdgeHook }>, phase: 'onRequest' | 'preHandler', view: RequestView, from: number): void | Promise<void> {
    for (let i = from; i < hooks.length; i++) {
      const { owner, hook } = hooks[i]!;
      if (hook.scope === 'own' && owner !== view.component) continue;
      const pending = hook[phase]!(view);
      if (pending) return pending.then(() => this.runHooks(hooks, phase, view, i + 1));
    }
    return undefined;
  }

  private observe(view: RequestView, response: HttpResponse, durationMs: number): void {
    const body = response.body as { error?: { code?: unknown }; code?: unknown } | undefined;
    const code = typeof body?.error?.code === 'string' ? body.error.code : undefined;
    const outcome: ResponseView = { status: response.status, durationMs, rows: rowsOf(response.body), ...(code ? { code } : {}) };
    for (const { owner, hook } of this.onResponse) {
      if (hook.scope === 'own' && owner !== view.component) continue;
      try {
        hook.onResponse!(view, outcome);
      } catch (err) {
        this.board.log.warn('onResponse hook failed', { hook: hook.name, owner, error: describeError(err) });
      }
    }
  }

  private rebuildHooks(): void {
    const all = [...this.owners.values()].filter((a) => a.state === 'up' || a.hooks.length > 0).flatMap((a) => a.hooks.map((hook) => ({ owner: a.owner, hook })));
    this.onRequest = all.filter((h) => h.hook.onRequest);
    this.preHandler = all.filter((h) => h.hook.preHandler);
    this.onResponse = all.filter((h) => h.hook.onResponse);
  }

  private attachment(owner: string): Attachment {
    let a = this.owners.get(owner);
    if (!a) {
      a = { owner, state: 'restarting', generation: 0, routes: new Set(), stale: new Set(), hooks: [], sockets: new Set(), webSockets: new Map() };
      this.owners.set(owner, a);
    }
    return a;
  }

  private addWebSocket(a: Attachment, route: WebSocketRoute): void {
    const taken = this.webSockets.get(route.pattern);
    if (taken && taken.owner !== a.owner) {
      throw new MoboError('HTTP_ROUTE_CONFLICT', `WebSocket route ${route.pattern} (${a.owner}) is already served by ${taken.owner}`, {
        details: { route: route.pattern, owner: a.owner, conflictsWith: taken.owner },
      });
    }
    a.webSockets.set(route.pattern, route);
    this.webSockets.set(route.pattern, { owner: a.owner, route });
    if (!taken) this.listener?.addWebSocket(this.socketRoute(route.pattern));
  }

  /** The route the listener registers once per pattern: it hands each socket to the incarnation that accepted it. */
  private socketRoute(pattern: string): WebSocketRoute {
    const entry = (): { a: Attachment; route: WebSocketRoute } => {
      const slot = this.webSockets.get(pattern)!;
      const a = this.owners.get(slot.owner)!;
      if (a.state !== 'up' || !slot.route) throw new MoboError(NOT_UP[a.state === 'up' ? 'restarting' : a.state], undefined, { details: { component: slot.owner } });
      return { a, route: slot.route };
    };
    const servedBy = new WeakMap<Socket, { a: Attachment; route: WebSocketRoute; generation: number }>();
    const first = this.webSockets.get(pattern)!.route!;
    return {
      pattern,
      ...(first.maxPayloadBytes === undefined ? {} : { maxPayloadBytes: first.maxPayloadBytes }),
      ...(first.idleTimeoutSeconds === undefined ? {} : { idleTimeoutSeconds: first.idleTimeoutSeconds }),
      ...(first.maxBackpressureBytes === undefined ? {} : { maxBackpressureBytes: first.maxBackpressureBytes }),
      upgrade: (req, params) => {
        const { route } = entry();
        return route.upgrade?.(req, params) ?? {};
      },
      open: (socket) => {
        const slot = this.webSockets.get(pattern)!;
        const a = this.owners.get(slot.owner)!;
        if (a.state !== 'up' || !slot.route) return socket.close(SERVICE_RESTART, `${slot.owner} restarting`);
        servedBy.set(socket, { a, route: slot.route, generation: a.generation });
        a.sockets.add(socket);
        slot.route.open?.(socket);
      },
      message: (socket, text) => {
        const by = servedBy.get(socket);
        if (by && by.generation === by.a.generation) by.route.message?.(socket, text);
      },
      close: (socket, code) => {
        const by = servedBy.get(socket);
        if (!by) return;
        servedBy.delete(socket);
        by.a.sockets.delete(socket);
        by.route.close?.(socket, code);
      },
    };
  }
}

/** Rows in an answer's body, for onResponse hooks (MagSentinel's baselines). */
function rowsOf(body: unknown): number {
  if (Array.isArray(body)) return body.length;
  if (body === null || typeof body !== 'object' || Buffer.isBuffer(body)) return 0;
  const data = (body as { data?: unknown }).data;
  if (Array.isArray(data)) return data.length;
  return data === undefined || data === null ? 0 : 1;
}
