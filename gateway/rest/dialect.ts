import { fail, ok, withRetryAfter } from '../envelope.js';
import type { HttpRequest, HttpResponse } from '../http-types.js';
import { toCsv } from './csv.js';
import type { Row } from '../../adapters/index.js';
import { MoboError, toMoboError } from '../../runtime/index.js';

export interface ListMeta {
  offset: number;
  /** Total matching rows, when the client asked for a count. */
  total?: number;
}

/** How results are written: the MagFlock envelope (`/v1`) or PostgREST's bare JSON (`/rest/v1`). */
export interface Dialect {
  list(req: HttpRequest, rows: Row[], meta: ListMeta): HttpResponse;
  one(req: HttpRequest, row: Row): HttpResponse;
  written(req: HttpRequest, rows: Row[], status: 200 | 201, many: boolean): HttpResponse;
  deleted(req: HttpRequest, rows: Row[]): HttpResponse;
  error(req: HttpRequest, err: unknown): HttpResponse;
}

export const envelopeDialect: Dialect = {
  list(req, rows, meta) {
    const response = ok(req.requestId, rows);
    const body = response.body as { meta: Record<string, unknown> };
    body.meta.offset = meta.offset;
    body.meta.returned = rows.length;
    if (meta.total !== undefined) body.meta.count = meta.total;
    return response;
  },
  one: (req, row) => ok(req.requestId, row),
  written: (req, rows, status, many) => ok(req.requestId, many ? rows : (rows[0] ?? null), status),
  deleted: () => ({ status: 204 }),
  error: (req, err) => fail(req.requestId, withoutPostgrest(publicError(err))),
};

const SINGLE = 'application/vnd.pgrst.object+json';

function prefers(req: HttpRequest, token: string): boolean {
  return (req.headers.prefer ?? '').split(',').some((p) => p.trim() === token);
}

function contentRange(offset: number, returned: number, total: number | undefined): string {
  const range = returned === 0 ? '*' : `${offset}-${offset + returned - 1}`;
  return `${range}/${total ?? '*'}`;
}

/** PostgREST's answer to `Accept: application/vnd.pgrst.object+json`: exactly one row, else 406. */
function singleObject(rows: Row[]): HttpResponse {
  if (rows.length !== 1) {
    return {
      status: 406,
      body: { code: 'PGRST116', message: 'JSON object requested, multiple (or no) rows returned', details: `The result contains ${rows.length} rows`, hint: null },
    };
  }
  return { status: 200, headers: { 'content-range': '0-0/*' }, body: rows[0] };
}

/** Answers as PostgREST does, so @supabase/postgrest-js works unmodified. */
export const postgrestDialect: Dialect = {
  list(req, rows, meta) {
    if (req.headers.accept === SINGLE) return singleObject(rows);
    if ((req.headers.accept ?? '').startsWith('text/csv')) {
      return { status: 200, headers: { 'content-range': contentRange(meta.offset, rows.length, meta.total), 'content-type': 'text/csv; charset=utf-8' }, body: toCsv(rows) };
    }
    return { status: 200, headers: { 'content-range': contentRange(meta.offset, rows.length, meta.total) }, body: rows };
  },
  one: (_req, row) => singleObject([row]),
  written(req, rows, status) {
    if (!prefers(req, 'return=representation')) return { status: status === 201 ? 201 : 204 };
    if (req.headers.accept === SINGLE) return singleObject(rows);
    return { status, body: rows };
  },
  deleted(req, rows) {
    return postgrestDialect.written(req, rows, 200, true);
  },
  error(_req, err) {
    const e = publicError(err);
    const fault = e.details?.['postgrest'] as { code: string; status: number; details: unknown; hint: string | null } | undefined;
    if (fault) return { status: fault.status, body: { code: fault.code, message: e.message, details: fault.details, hint: fault.hint } };
    const details = e.details === undefined ? null : JSON.stringify(e.details);
    return withRetryAfter({ status: e.status, body: { code: e.code, message: e.message, details, hint: null } }, e);
  },
};

/** Codes of the runtime's inner workings: their messages and details name actors and addresses. */
const INNER = /^(ACTOR|MAILBOX|TRANSPORT|SUP|MESSAGE)_/;

/**
 * The error as a client may see it: an inner failure keeps its code and status with the
 * catalogue's words only, and no answer names an actor's address (a source refusing while its
 * actor restarts says DS_UNAVAILABLE with `details.actor`).
 */
export function publicError(err: unknown): MoboError {
  const e = toMoboError(err);
  if (INNER.test(e.code)) return new MoboError(e.code);
  if (e.details === undefined || !('actor' in e.details)) return e;
  const { actor: _address, ...details } = e.details;
  return new MoboError(e.code, e.message, Object.keys(details).length > 0 ? { details } : undefined);
}

export function notFound(table: string): MoboError {
  return new MoboError('DS_ROW_NOT_FOUND', `No such row in ${table}`, { details: { table } });
}

/** The envelope keeps the catalogue's code: PostgREST's own code, details and hint move into details. */
function withoutPostgrest(e: MoboError): MoboError {
  const fault = e.details?.['postgrest'] as { code: string; details: string | null; hint: string | null } | undefined;
  if (!fault) return e;
  const { postgrest: _fault, ...rest } = e.details!;
  return new MoboError(e.code, e.message, { details: { ...rest, sqlstate: fault.code, ...(fault.details ? { reason: fault.details } : {}), ...(fault.hint ? { hint: fault.hint } : {}) } });
}
