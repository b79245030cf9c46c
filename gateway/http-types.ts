import type { Principal } from '../actors/auth/principal.js';

/** What a route handler sees of a request: read in full before the handler runs. */
export interface HttpRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: Buffer;
  ip: string;
  params: Record<string, string>;
  requestId: string;
  /** Who is calling, set by the pipeline for routes with an `authenticate` option. */
  principal?: Principal;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  /** A string or Buffer is sent as is; anything else as JSON. */
  body?: unknown;
}

export type RouteHandler = (req: HttpRequest) => HttpResponse | Promise<HttpResponse>;

/** How the edge's pipeline treats a route, besides running its handler. */
export interface RouteOptions {
  /** Resolves the caller before the hooks run (the pipeline's authenticate step); throw to refuse. */
  authenticate?: (req: HttpRequest) => Principal | Promise<Principal>;
  /** Writes a failure of this route family (PostgREST's shape, say); default the MagFlock envelope. */
  error?: (req: HttpRequest, err: unknown) => HttpResponse;
}
