/**
 * GET and HEAD on /rest/v1/<project>/<source>/<table> in PostgREST's whole read grammar
 * (pgrst-grammar.ts): every table the select tree names is authorised first, its row rule
 * travels with the read, and the source answers it as one statement (adapters/rest-plan.ts).
 * A source that cannot (SQLite, MySQL, Redis, MongoDB) answers a plain read through the
 * simple path; embedding there is DS_UNSUPPORTED naming the feature and the backend.
 */
import { embeddedNames, type Filter, type RestCall, type RestCallResult, type RestRead, type RestReadResult, type RestWrite, type RestWriteResult } from '../../adapters/index.js';
import { isMoboError } from '../../runtime/index.js';
import type { HttpRequest, HttpResponse } from '../http-types.js';
import { parseRange } from './grammar.js';
import { parsePgrstQuery } from './pgrst-grammar.js';
import { toCsv } from './csv.js';

const SINGLE = 'application/vnd.pgrst.object+json';

type Principal = NonNullable<HttpRequest['principal']>;
export type Operation = 'read' | 'create' | 'update' | 'delete';

/** What these routes ask of MagAuth (the Gatekeeper, structurally: the edge hands it in). */
interface Gate {
  authorize(principal: Principal, request: { project: string; source: string; table: string; operation: Operation }): Promise<{ rowFilter?: Filter; forcedValues?: Record<string, unknown> }>;
}

export interface PgrstReadDeps {
  gate: Gate;
  client(project: string, source: string, requestId: string): { restRead(read: RestRead): Promise<RestReadResult>; restWrite(write: RestWrite): Promise<RestWriteResult>; restCall(call: RestCall): Promise<RestCallResult> };
  /** The source's table names: an embed may pass through join tables the select does not name. */
  tables(project: string, source: string): Promise<string[]>;
}

/** Sources that said they cannot compile a REST read: they go straight to the simple path. */
const simpleOnly = new Set<string>();

export async function pgrstRead(deps: PgrstReadDeps, req: HttpRequest, simple: () => Promise<HttpResponse>): Promise<HttpResponse> {
  const { project, source, table } = req.params as { project: string; source: string; table: string };
  const parsed = parsePgrstQuery(req.query);
  const embeds = embeddedNames(parsed.root);
  if (simpleOnly.has(`${project}/${source}`) && embeds.size === 0) return simple();
  const range = parseRange(req.headers.range);
  if (range) {
    parsed.root.offset = range.offset;
    if (range.limit !== undefined) parsed.root.limit = range.limit;
  }
  const principal = req.principal!;
  const rules = await rulesFor(deps, principal, project, source, table, embeds);
  const read: RestRead = { table, root: parsed.root, rules };
  const profile = req.headers['accept-profile'];
  if (profile) read.schema = profile;
  const count = /\bcount=(exact|planned|estimated)\b/.exec(req.headers.prefer ?? '')?.[1] as RestRead['count'];
  if (count) read.count = count;
  let result: RestReadResult;
  try {
    result = await deps.client(project, source, req.requestId).restRead(read);
  } catch (err) {
    if (isMoboError(err, 'DS_UNSUPPORTED') && embeds.size === 0 && !profile) {
      simpleOnly.add(`${project}/${source}`);
      return simple();
    }
    throw err;
  }
  return readAnswer(req, result, parsed.root.offset ?? 0);
}

/**
 * The row rule of every table the read may reach (with embeds: the names it gives and every
 * table of the source, join tables included); a table the caller may not read is left out, and
 * the source refuses a read that reaches it.
 */
export async function rulesFor(deps: PgrstReadDeps, principal: Principal, project: string, source: string, table: string, embeds: Set<string>, operation: Operation = 'read'): Promise<Record<string, Filter | null>> {
  const gate = deps.gate;
  const rules: Record<string, Filter | null> = {};
  if (operation === 'read') rules[table] = (await gate.authorize(principal, { project, source, table, operation: 'read' })).rowFilter ?? null;
  const reached = embeds.size === 0 ? [] : [...new Set([...embeds, ...(await deps.tables(project, source))])];
  await Promise.all(
    reached.filter((name) => name !== table).map(async (name) => {
      try {
        rules[name] = (await gate.authorize(principal, { project, source, table: name, operation: 'read' })).rowFilter ?? null;
      } catch (err) {
        if (!isMoboError(err, 'AUTH_FORBIDDEN')) throw err;
      }
    }),
  );
  return rules;
}

/** Rows as PostgREST answers a read: Content-Range, 206 when counted and partial, one object, HEAD, CSV. */
export function readAnswer(req: HttpRequest, result: RestReadResult, offset: number): HttpResponse {
  const range = result.returned === 0 ? '*' : `${offset}-${offset + result.returned - 1}`;
  const headers: Record<string, string> = { 'content-range': `${range}/${result.total ?? '*'}` };
  const partial = result.total !== undefined && (offset > 0 || result.returned < result.total);
  const status = partial ? 206 : 200;
  const accept = req.headers.accept ?? '';
  if (accept === SINGLE) {
    const rows = JSON.parse(result.body) as unknown[];
    if (rows.length !== 1) {
      return { status: 406, body: { code: 'PGRST116', message: 'JSON object requested, multiple (or no) rows returned', details: `The result contains ${rows.length} rows`, hint: null } };
    }
    return { status: 200, headers: { ...headers, 'content-type': 'application/vnd.pgrst.object+json; charset=utf-8' }, body: JSON.stringify(rows[0]) };
  }
  if (req.method === 'HEAD') return { status, headers };
  if (accept.startsWith('text/csv')) return { status, headers: { ...headers, 'content-type': 'text/csv; charset=utf-8' }, body: toCsv(JSON.parse(result.body) as Array<Record<string, unknown>>) };
  return { status, headers: { ...headers, 'content-type': 'application/json; charset=utf-8' }, body: result.body };
}
