/**
 * GET and HEAD on /rest/v1/<project>/<source>/<table> in PostgREST's whole read grammar
 * (pgrst-grammar.ts): every table the select tree names is authorised first, its row rule
 * travels with the read, and the source answers it as one statement (adapters/rest-plan.ts).
 * SQLite and MySQL compile reads with embeds (adapters/sql/rest-embed.ts) and answer plain
 * ones through the simple path, as Redis and MongoDB do; what a backend cannot do is
 * DS_UNSUPPORTED naming the feature and the backend.
 */
import { embeddedNames, type Filter, type RestCall, type RestCallResult, type RestRead, type RestReadResult, type RestWrite, type RestWriteResult } from '../../adapters/index.js';
import { MoboError, isMoboError } from '../../runtime/index.js';
import type { HttpRequest, HttpResponse } from '../http-types.js';
import { parseRange } from './grammar.js';
import { parseFault, parsePgrstQuery } from './pgrst-grammar.js';

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
  const media = mediaOf(req.headers.accept);
  if (media.kind === 'csv' || media.kind === 'geojson') read.format = media.kind;
  if (media.kind === 'plan') {
    // A plan's row estimates count rows a row rule hides: only for a caller no rule narrows.
    if (Object.values(rules).some((rule) => rule !== null)) throw new MoboError('AUTH_FORBIDDEN', 'A query plan shows row estimates beyond what a row rule lets this caller read', { details: { table } });
    read.explain = { format: media.format, options: media.options };
  }
  let result: RestReadResult;
  try {
    result = await deps.client(project, source, req.requestId).restRead(read);
  } catch (err) {
    // The simple path has no embeds, schemas, GeoJSON or plans (CSV it writes itself): those stay refused.
    if (isMoboError(err, 'DS_UNSUPPORTED') && embeds.size === 0 && !profile && (media.kind === 'json' || media.kind === 'csv')) {
      simpleOnly.add(`${project}/${source}`);
      return simple();
    }
    throw err;
  }
  if (media.kind === 'plan') {
    return { status: 200, headers: { 'content-type': `application/vnd.pgrst.plan+${media.format}; for="${media.for}"; charset=utf-8` }, body: result.body };
  }
  return readAnswer(req, result, parsed.root.offset ?? 0);
}

type Media =
  | { kind: 'json' | 'single' | 'csv' | 'geojson' }
  | { kind: 'plan'; format: 'json' | 'text'; for: string; options: NonNullable<RestRead['explain']>['options'] };

const PLAN_OPTIONS = new Set(['analyze', 'verbose', 'settings', 'buffers', 'wal']);

/** The answer the Accept header asks for: `application/vnd.pgrst.plan+json; for="…"; options=analyze|verbose;` is a plan. */
function mediaOf(accept: string | undefined): Media {
  const value = accept ?? '';
  if (value === SINGLE) return { kind: 'single' };
  if (value.startsWith('text/csv')) return { kind: 'csv' };
  if (value.startsWith('application/geo+json')) return { kind: 'geojson' };
  const plan = /^application\/vnd\.pgrst\.plan(?:\+(json|text))?/.exec(value);
  if (!plan) return { kind: 'json' };
  const options = (/options=([\w|]*)/.exec(value)?.[1] ?? '').split('|').filter((o) => o.length > 0);
  const unknown = options.find((o) => !PLAN_OPTIONS.has(o));
  if (unknown) throw parseFault(`"${unknown}" is not a plan option (analyze, verbose, settings, buffers, wal)`);
  return { kind: 'plan', format: plan[1] === 'json' ? 'json' : 'text', for: /for="([^"]*)"/.exec(value)?.[1] ?? 'application/json', options: options as NonNullable<RestRead['explain']>['options'] };
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
  if (accept.startsWith('text/csv')) return { status, headers: { ...headers, 'content-type': 'text/csv; charset=utf-8' }, body: result.body };
  if (accept.startsWith('application/geo+json')) return { status, headers: { ...headers, 'content-type': 'application/geo+json; charset=utf-8' }, body: result.body };
  return { status, headers: { ...headers, 'content-type': 'application/json; charset=utf-8' }, body: result.body };
}
