import { MoboError, type ErrorCode } from '../../../runtime/index.js';

/**
 * An error as PostgREST states it: its code (PGRSTxxx or a Postgres SQLSTATE), status, details
 * and hint travel in the MoboError's details under `postgrest`, which MagGate's /rest/v1 dialect
 * writes as `{code, message, details, hint}`; the /v1 envelope shows the catalogue code.
 */
export interface PostgrestFault {
  code: string;
  status: number;
  /** Text, or a list where PostgREST gives one (PGRST201's relationships). */
  details: string | null | Array<Record<string, string>>;
  hint: string | null;
}

export function restFault(catalogue: ErrorCode, fault: { code: string; status: number; message: string; details?: PostgrestFault['details']; hint?: string | null }): MoboError {
  const postgrest: PostgrestFault = { code: fault.code, status: fault.status, details: fault.details ?? null, hint: fault.hint ?? null };
  return new MoboError(catalogue, fault.message, { details: { postgrest } });
}

/** A parse or grammar fault (PGRST100). */
export function badRequest(message: string, details?: string): MoboError {
  return restFault('DS_QUERY_INVALID', { code: 'PGRST100', status: 400, message, details: details ?? null });
}

const STATUS_BY_CLASS: Record<string, number> = { '08': 503, '09': 500, '0L': 403, '0P': 403, '23': 409, '25': 500, '28': 403, '2D': 500, '38': 500, '39': 500, '3B': 500, '40': 500, '53': 503, '54': 500, '55': 500, '57': 500, '58': 500, F0: 500, HV: 500, P0: 400, XX: 500, '42': 400, '22': 400 };
const STATUS_BY_CODE: Record<string, number> = { '23503': 409, '23505': 409, '25006': 405, '40001': 409, '42883': 404, '42P01': 404, '42501': 403, '57014': 500, P0001: 400 };

/** A Postgres error (pg's DatabaseError) as PostgREST answers it; anything else unchanged. */
export function fromPostgres(err: unknown): unknown {
  if (err instanceof MoboError && (err.code === 'DS_UNAVAILABLE' || err.code === 'DS_OUTCOME_UNKNOWN')) return err;
  const e = (err instanceof MoboError ? err.cause : err) as { code?: unknown; message?: unknown; detail?: unknown; hint?: unknown };
  if (typeof e?.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code)) return err;
  const status = STATUS_BY_CODE[e.code] ?? STATUS_BY_CLASS[e.code.slice(0, 2)] ?? 400;
  const catalogue: ErrorCode = e.code === '23505' ? 'DS_CONFLICT' : e.code.startsWith('23') ? 'DS_CONSTRAINT' : e.code.startsWith('22') ? 'DS_VALUE_INVALID' : 'DS_QUERY_INVALID';
  return restFault(catalogue, {
    code: e.code,
    status,
    message: typeof e.message === 'string' ? e.message : 'The data source rejected the query',
    details: typeof e.detail === 'string' ? e.detail : null,
    hint: typeof e.hint === 'string' ? e.hint : null,
  });
}
