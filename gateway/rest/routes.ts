import type { AccessGrant, Gatekeeper, Operation, Principal } from '../../actors/auth/principal.js';
import type { DataClient } from '../../actors/ds/protocol.js';
import { parseJsonBody } from '../envelope.js';
import type { HttpRequest, HttpResponse } from '../http-types.js';
import type { RouteRegistrar } from '../edge.js';
import { envelopeDialect, notFound, postgrestDialect, type Dialect } from './dialect.js';
import { invalid, parseQuery, parseRange, type ParsedQuery } from './grammar.js';
import type { Idempotency } from './idempotency.js';
import type { ReadCache } from './read-cache.js';
import type { ReadCoalescer } from './read-coalescer.js';
import type { SchemaCache } from './schema-cache.js';
import { pgrstRead, type PgrstReadDeps } from './pgrst-read.js';
import { pgrstWrite } from './pgrst-write.js';
import { pgrstCall } from './pgrst-call.js';
import { allOf, bodyRows, byId, coerceFilter, listQuery, withForced } from './shape.js';
import type { Row, TableInfo } from '../../adapters/index.js';
import { describeError, isMoboError, type Logger, MoboError } from '../../runtime/index.js';

export interface RestDeps {
  gate: Gatekeeper;
  reads: ReadCoalescer;
  cache: ReadCache;
  schemas: SchemaCache;
  idempotency: Idempotency;
  log: Logger;
}

/** One authorised request on one table, ready to run. */
interface Call {
  req: HttpRequest;
  /** The query string, parsed before anything runs: a malformed one rejects the request before any write. */
  parsed: ParsedQuery;
  dialect: Dialect;
  principal: Principal;
  grant: AccessGrant;
  table: TableInfo;
  data: DataClient;
}

type Handler = (call: Call, deps: RestDeps) => Promise<HttpResponse>;

/**
 * MagGate's REST API over every exposed table of a project's sources:
 *   /v1/<project>/<source>/<table>[/<id>]     MagFlock envelopes, both query spellings
 *   /rest/v1/<project>/<source>/<table>        PostgREST wire format (postgrest-js base URL:
 *                                              http://host:8000/rest/v1/<project>/<source>)
 * The edge's pipeline runs first (gateway/edge.ts): the rate-limit hooks (rest/mount.ts)
 * and authentication. Then per request: authorize (role, scopes, row rule) → [a write: its
 * Idempotency-Key, idempotency.ts] → one hop to the source's connection actor → answer.
 */
export function mountRestRoutes(router: RouteRegistrar, deps: RestDeps): void {
  const grammar = pgrstDeps(deps);
  for (const [prefix, dialect] of [['/v1', envelopeDialect], ['/rest/v1', postgrestDialect]] as const) {
    const base = `${prefix}/:project/:source/:table`;
    const options = { authenticate: (req: HttpRequest) => deps.gate.authenticate(req.headers, req.params.project!, req.ip), error: dialect.error };
    const route = (operation: Operation, handler: Handler) => (req: HttpRequest) => serve(deps, dialect, operation, handler, req);
    if (prefix === '/rest/v1') {
      // PostgREST's grammar first (pgrst-read/-write.ts); what it leaves to the simple grammar goes there.
      const read = (req: HttpRequest) => guarded(deps, dialect, req, () => pgrstRead(grammar, req, () => route('read', list)(req)));
      const write = (kind: 'insert' | 'update' | 'delete', operation: Operation, handler: Handler) => (req: HttpRequest) =>
        guarded(deps, dialect, req, () => pgrstWrite(grammar, req, kind, (write) => idempotent(deps, dialect, req, write), () => route(operation, handler)(req))).finally(() =>
          deps.cache.invalidate(deps.schemas.client(req.params.project!, req.params.source!).address),
        );
      router.get(base, read, options);
      router.add('HEAD', base, read, options);
      router.post(base, write('insert', 'create', create), options);
      router.patch(base, write('update', 'update', updateMatching), options);
      router.delete(base, write('delete', 'delete', deleteMatching), options);
      const call = (req: HttpRequest) =>
        guarded(deps, dialect, req, () => pgrstCall(grammar, req)).finally(() => {
          // A function may have written anything: no cached read of the source survives a POST call.
          if (req.method === 'POST') deps.cache.invalidate(deps.schemas.client(req.params.project!, req.params.source!).address);
        });
      const rpc = `${prefix}/:project/:source/rpc/:fn`;
      router.get(rpc, call, options);
      router.add('HEAD', rpc, call, options);
      router.post(rpc, call, options);
      continue;
    }
    router.get(base, route('read', list), options);
    router.post(base, route('create', create), options);
    router.patch(base, route('update', updateMatching), options);
    router.delete(base, route('delete', deleteMatching), options);
    router.get(`${base}/:id`, route('read', getOne), options);
    router.put(`${base}/:id`, route('update', updateOne), options);
    router.patch(`${base}/:id`, route('update', updateOne), options);
    router.delete(`${base}/:id`, route('delete', deleteOne), options);
  }
}

function pgrstDeps(deps: RestDeps): PgrstReadDeps {
  return {
    gate: deps.gate,
    client: (project, source, id) => deps.schemas.client(project, source, id),
    tables: async (project, source) => (await deps.schemas.tables(project, source)).map((t) => t.name),
  };
}

/** Runs a request's work; an error becomes the dialect's answer (logged when it is not one of ours). */
async function guarded(deps: RestDeps, dialect: Dialect, req: HttpRequest, work: () => Promise<HttpResponse>): Promise<HttpResponse> {
  try {
    return await work();
  } catch (caught) {
    const { project, source } = req.params;
    const err = project !== undefined && source !== undefined ? await deps.schemas.explain(project, source, caught) : caught;
    if (!(err instanceof MoboError)) deps.log.error('REST request failed', { path: req.path, requestId: req.requestId, error: describeError(err) });
    return dialect.error(req, err);
  }
}

/** Whose write an Idempotency-Key names: keys are per project, and a key reused by another principal is another request. */
function writeScope(project: string, principal: Principal): { project: string; principal: string } {
  return { project, principal: `${principal.kind}:${principal.keyId ?? principal.subject}` };
}

/** A PostgREST write under the request's Idempotency-Key (pgrst-write.ts), through the source's client. */
function idempotent(deps: RestDeps, dialect: Dialect, req: HttpRequest, write: (client: DataClient) => Promise<HttpResponse>): Promise<HttpResponse> {
  const { project, source } = req.params as { project: string; source: string };
  const data = deps.schemas.client(project, source, req.requestId);
  return deps.idempotency.run(req, writeScope(project, req.principal!), data, write, (err) => dialect.error(req, err));
}

function serve(deps: RestDeps, dialect: Dialect, operation: Operation, handler: Handler, req: HttpRequest): Promise<HttpResponse> {
  return guarded(deps, dialect, req, async () => {
    try {
      return await call(deps, dialect, operation, handler, req);
    } catch (err) {
      // A column the cached schema lacks may have been added outside a moment ago (psql): re-read once, then answer.
      if (!isMoboError(err, 'DS_COLUMN_NOT_FOUND') || !(await deps.schemas.refreshAfterMiss(req.params.project!, req.params.source!))) throw err;
      return await call(deps, dialect, operation, handler, req);
    }
  });
}

/** One request on one table: authorized, then read or written (under its Idempotency-Key). */
async function call(deps: RestDeps, dialect: Dialect, operation: Operation, handler: Handler, req: HttpRequest): Promise<HttpResponse> {
  const parsed = parseQuery(req.query);
  const { project, source, table: tableName } = req.params as { project: string; source: string; table: string };
  const principal = req.principal!;
  const grant = await deps.gate.authorize(principal, { project, source, table: tableName, operation });
  const table = await deps.schemas.table(project, source, tableName);
  const data = deps.schemas.client(project, source, req.requestId);
  if (operation === 'read') return await handler({ req, parsed, dialect, principal, grant, table, data }, deps);
  try {
    return await deps.idempotency.run(req, writeScope(project, principal), data, (client) => handler({ req, parsed, dialect, principal, grant, table, data: client }, deps), (err) => dialect.error(req, err));
  } finally {
    // Before the write is answered: no read that starts after it can be served an answer read before.
    deps.cache.invalidate(data.address);
  }
}

async function list({ req, parsed, dialect, grant, table, data }: Call, deps: RestDeps): Promise<HttpResponse> {
  const range = parseRange(req.headers.range);
  if (range) {
    parsed.offset = range.offset;
    if (range.limit !== undefined) parsed.limit = range.limit;
  }
  const query = listQuery(table, parsed, grant);
  const wantsCount = (req.headers.prefer ?? '').includes('count=exact') || req.query.has('page');
  const [rows, total] = await Promise.all([deps.reads.select(data, query), wantsCount ? data.count(table.name, query.where) : undefined]);
  return dialect.list(req, rows, total === undefined ? { offset: parsed.offset ?? 0 } : { offset: parsed.offset ?? 0, total });
}

async function getOne({ req, parsed, dialect, grant, table, data }: Call, deps: RestDeps): Promise<HttpResponse> {
  byId(table, req.params.id!); // refuses tables without a single-column key
  const row = await deps.reads.read(data, table, req.params.id!, parsed.columns, grant.rowFilter);
  if (!row) throw notFound(table.name);
  return dialect.one(req, row);
}

async function create({ req, parsed, dialect, grant, table, data }: Call): Promise<HttpResponse> {
  const body = parseJsonBody(req.body);
  const rows = bodyRows(body, true).map((row) => withForced(row, grant));
  const created = await data.insert(table.name, rows, true);
  return dialect.written(req, selected(parsed, created), 201, Array.isArray(body));
}

async function updateOne({ req, parsed, dialect, grant, table, data }: Call): Promise<HttpResponse> {
  const [patch] = bodyRows(parseJsonBody(req.body), false);
  const key = table.primaryKey[0];
  if (key !== undefined && key in patch! && String(patch![key]) !== req.params.id) throw invalid(`The body's ${key} does not match the URL`);
  const changed = await data.update(table.name, allOf(byId(table, req.params.id!), grant.rowFilter), withForced(patch!, grant), true);
  if (changed.length === 0) throw notFound(table.name);
  return dialect.written(req, selected(parsed, changed), 200, false);
}

async function updateMatching({ req, parsed, dialect, grant, table, data }: Call): Promise<HttpResponse> {
  const where = requireFilters(parsed, table);
  const [patch] = bodyRows(parseJsonBody(req.body), false);
  const changed = await data.update(table.name, allOf(where, grant.rowFilter), withForced(patch!, grant), true);
  return dialect.written(req, selected(parsed, changed), 200, true);
}

async function deleteOne({ req, parsed, dialect, grant, table, data }: Call): Promise<HttpResponse> {
  const removed = await data.delete(table.name, allOf(byId(table, req.params.id!), grant.rowFilter), true);
  if (removed.length === 0) throw notFound(table.name);
  return dialect.deleted(req, selected(parsed, removed));
}

async function deleteMatching({ req, parsed, dialect, grant, table, data }: Call): Promise<HttpResponse> {
  const removed = await data.delete(table.name, allOf(requireFilters(parsed, table), grant.rowFilter), true);
  return dialect.deleted(req, selected(parsed, removed));
}

/** The written rows as the client asked to see them (`select=` on a write, as postgrest-js sends). */
function selected(parsed: ParsedQuery, rows: Row[]): Row[] {
  const columns = parsed.columns;
  if (!columns) return rows;
  return rows.map((row) => Object.fromEntries(columns.filter((c) => c in row).map((c) => [c, row[c]])));
}

/** Bulk update and delete need at least one filter: an empty query string must not touch every row. */
function requireFilters(parsed: ParsedQuery, table: TableInfo) {
  if (parsed.filters.length === 0) throw invalid('Add a filter: updating or deleting every row at once is refused');
  return allOf(...parsed.filters.map((f) => coerceFilter(table, f)));
}
