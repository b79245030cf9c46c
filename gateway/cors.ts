import type { HttpResponse } from './http-types.js';

const ALLOW_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
const DEFAULT_ALLOW_HEADERS = 'authorization, apikey, content-type, prefer, range, x-request-id, x-client-info, accept-profile, content-profile';
const EXPOSE = 'content-range, x-request-id, retry-after';

/** The origin to echo back, when the request has one the config allows. */
export function allowedOrigin(origin: string | undefined, allowed: readonly string[]): string | undefined {
  if (!origin) return undefined;
  return allowed.includes('*') || allowed.includes(origin) ? origin : undefined;
}

export function corsHeaders(origin: string): Record<string, string> {
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': EXPOSE, vary: 'Origin' };
}

/** The answer to a CORS preflight; a disallowed origin gets no CORS headers, so the browser refuses. */
export function preflight(origin: string | undefined, requestedHeaders: string | undefined): HttpResponse {
  if (!origin) return { status: 204 };
  return {
    status: 204,
    headers: {
      'access-control-allow-methods': ALLOW_METHODS,
      'access-control-allow-headers': requestedHeaders ?? DEFAULT_ALLOW_HEADERS,
      'access-control-max-age': '600',
    },
  };
}
