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
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  /** A string or Buffer is sent as is; anything else as JSON. */
  body?: unknown;
}

export type RouteHandler = (req: HttpRequest) => HttpResponse | Promise<HttpResponse>;
