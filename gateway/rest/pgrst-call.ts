/**
 * `/rest/v1/<project>/<source>/rpc/<fn>` as PostgREST answers it: POST with the arguments as a
 * JSON object (or, with `Prefer: params=single-object`, the whole body for one json argument),
 * GET and HEAD with them in the query string beside filters on the rows; select, order and
 * paging over a set result, counts, `tx=rollback`, `max-affected` with `handling=strict`.
 *
 * A function's body runs with the source's rights, where MagGate's row rules cannot reach: it
 * is called only for a caller who may read every table of the source with no row rule (else
 * 403, 42501), in a read-only transaction unless the caller may also create, update and delete
 * every one with no rule or forced value, and always read only on GET and HEAD (PostgREST's rule:
 * a function that writes answers 25006, 405, there).
 */
import type { RestCall, RestCallResult } from '../../adapters/index.js';
import { MoboError, isMoboError } from '../../runtime/index.js';
import { parseJsonBody } from '../envelope.js';
import type { HttpRequest, HttpResponse } from '../http-types.js';
import { parseRange } from './grammar.js';
import { parseFault, parseFilter, parsePgrstQuery, preferences } from './pgrst-grammar.js';
import { readAnswer, type Operation, type PgrstReadDeps } from './pgrst-read.js';

type Principal = NonNullable<HttpRequest['principal']>;

/** Query-string keys that are never a function's arguments. */
const RESERVED = new Set(['select', 'order', 'limit', 'offset', 'columns', 'on_conflict', 'or', 'and']);
const PLAIN = /^[\p{L}_][\p{L}\p{N}_$]*$/u;
const WRITES: Operation[] = ['create', 'update', 'delete'];

export async function pgrstCall(deps: PgrstReadDeps, req: HttpRequest): Promise<HttpResponse> {
  const { project, source, fn } = req.params as { project: string; source: string; fn: string };
  const post = req.method === 'POST';
  const query = new URLSearchParams();
  const candidates: NonNullable<RestCall['candidates']> = [];
  for (const [key, value] of req.query) {
    if (!post && !RESERVED.has(key) && PLAIN.test(key)) candidates.push(candidate(key, value));
    else query.append(key, value);
  }
  const parsed = parsePgrstQuery(query);
  const range = parseRange(req.headers.range);
  if (range) {
    parsed.root.offset = range.offset;
    if (range.limit !== undefined) parsed.root.limit = range.limit;
  }
  const prefs = preferences(req);
  const tables = await deps.tables(project, source);
  const mayWrite = await rights(deps, req.principal!, project, source, fn, tables);
  const call: RestCall = { fn, args: {}, root: parsed.root, rules: Object.fromEntries(tables.map((t) => [t, null])), readOnly: !post || !mayWrite };
  if (candidates.length > 0) call.candidates = candidates;
  if (post) {
    const body = parseJsonBody(req.body);
    if (prefs.get('params') === 'single-object' || (body !== null && (typeof body !== 'object' || Array.isArray(body)))) call.body = body;
    else if (body !== null) call.args = body as Record<string, unknown>;
  }
  const profile = post ? req.headers['content-profile'] : req.headers['accept-profile'];
  if (profile) call.schema = profile;
  const count = prefs.get('count');
  if (count === 'exact' || count === 'planned' || count === 'estimated') call.count = count;
  if (prefs.get('tx') === 'rollback') call.rollback = true;
  const max = prefs.get('max-affected');
  if (max !== undefined && prefs.get('handling') === 'strict') {
    if (!/^\d{1,9}$/.test(max)) throw parseFault('max-affected must be a whole number');
    call.maxAffected = Number(max);
  }
  const result = await deps.client(project, source, req.requestId).restCall(call);
  return answer(req, result, parsed.root.offset ?? 0);
}

/** A plain key of a GET call: an argument if the function has one of that name, else a filter (when it parses as one). */
function candidate(name: string, value: string): NonNullable<RestCall['candidates']>[number] {
  try {
    return { name, value, filter: parseFilter({ column: name }, value) };
  } catch (err) {
    if (!isMoboError(err, 'DS_QUERY_INVALID')) throw err;
    return { name, value };
  }
}

/**
 * Whether the caller may call functions of this source, and may they write: every table
 * readable with no row rule, else refused; writing when every table is also creatable,
 * updatable and deletable with no rule and no forced value.
 */
async function rights(deps: PgrstReadDeps, principal: Principal, project: string, source: string, fn: string, tables: string[]): Promise<boolean> {
  const unrestricted = async (table: string, operation: Operation): Promise<boolean> => {
    try {
      const grant = await deps.gate.authorize(principal, { project, source, table, operation });
      return grant.rowFilter === undefined && (grant.forcedValues === undefined || Object.keys(grant.forcedValues).length === 0);
    } catch (err) {
      if (isMoboError(err, 'AUTH_FORBIDDEN')) return false;
      throw err;
    }
  };
  const readable = await Promise.all(tables.map((t) => unrestricted(t, 'read')));
  if (readable.includes(false)) {
    const table = tables[readable.indexOf(false)]!;
    throw new MoboError('AUTH_FORBIDDEN', `permission denied for function ${fn}`, {
      details: {
        postgrest: {
          code: '42501',
          status: 403,
          details: `A function runs with the source's rights, beyond row rules: calling one takes reading every table of the source with no row rule, and "${table}" is not so`,
          hint: null,
        },
      },
    });
  }
  const writable = await Promise.all(tables.flatMap((t) => WRITES.map((op) => unrestricted(t, op))));
  return !writable.includes(false);
}

function answer(req: HttpRequest, result: RestCallResult, offset: number): HttpResponse {
  if (result.returns === 'void') return { status: 204 };
  if (result.returns === 'set') return readAnswer(req, result, offset);
  const headers = { 'content-range': `0-0/${result.total ?? '*'}`, 'content-type': 'application/json; charset=utf-8' };
  if (req.method === 'HEAD') return { status: 200, headers };
  return { status: 200, headers, body: result.body };
}
