import type { Principal } from '../actors/auth/principal.js';
import { parseJsonBody } from './envelope.js';
import type { HttpRequest } from './http-types.js';
import type { Route } from './router.js';

/**
 * A request as an edge hook sees it: everything a rate limiter or a security agent
 * (MagSentinel) judges by, and no credentials (the principal stands for them).
 */
export interface RequestView {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  /** The matched pattern, e.g. `/v1/:project/:source/:table`. */
  readonly route: string;
  /** The component that serves the route. */
  readonly component: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** A request header by its lower-case name; never `authorization`, `apikey`, `cookie` or `x-api-key`. */
  header(name: string): string | undefined;
  readonly ip: string;
  /** Set after the authenticate step (preHandler and onResponse hooks of authenticated routes). */
  readonly principal: Principal | undefined;
  /** The body parsed once per request: JSON, or a form body (`application/x-www-form-urlencoded`) as an object; undefined when empty or neither. */
  body(): unknown;
}

export interface ResponseView {
  status: number;
  /** The error code, when the response is an error. */
  code?: string;
  /** Rows a JSON answer carried (an array, or the `data` array of an envelope); 1 for one object, 0 for none. */
  rows: number;
  durationMs: number;
}

/**
 * A hook in the edge's request pipeline: route → onRequest → authenticate → preHandler →
 * handler → onResponse. `onRequest` and `preHandler` refuse a request by throwing a
 * MoboError (of the hook's own component, say); `onResponse` only observes. A hook
 * returning nothing costs no await.
 */
export interface EdgeHook {
  name: string;
  /** `all` (default): every route of the node; `own`: only the routes of the component that adds it. */
  scope?: 'all' | 'own';
  onRequest?(req: RequestView): void | Promise<void>;
  preHandler?(req: RequestView): void | Promise<void>;
  onResponse?(req: RequestView, res: ResponseView): void;
}

const CREDENTIAL_HEADERS = new Set(['authorization', 'apikey', 'cookie', 'x-api-key']);
const NO_BODY = Symbol('no body');

/** A view of the request for hooks; cheap to make (the body is parsed on first use). */
export function requestView(req: HttpRequest, route: Route): RequestView {
  let body: unknown = NO_BODY;
  return {
    requestId: req.requestId,
    method: req.method,
    path: req.path,
    route: route.pattern,
    component: route.owner,
    params: req.params,
    query: req.query,
    header: (name) => (CREDENTIAL_HEADERS.has(name) ? undefined : req.headers[name]),
    ip: req.ip,
    get principal() {
      return req.principal;
    },
    body() {
      if (body === NO_BODY) {
        try {
          body = (req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')
            ? Object.fromEntries(new URLSearchParams(req.body.toString('utf8')))
            : (parseJsonBody(req.body) ?? undefined);
        } catch {
          body = undefined;
        }
      }
      return body;
    },
  };
}
