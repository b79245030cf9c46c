/**
 * POST, PATCH and DELETE on /rest/v1 as PostgREST answers them, each one statement in one
 * transaction on the source (adapters/rest-plan.ts RestWrite): upsert (`on_conflict`,
 * `Prefer: resolution=merge-duplicates|ignore-duplicates`), `return=representation|minimal`
 * with the select tree over the written rows, counts, `tx=rollback` (really undone),
 * `max-affected` with `handling=strict` (PGRST124, nothing changed), a single-object Accept
 * that fails without changing anything. A request with an Idempotency-Key is recorded by the
 * source's actor and replayed from the record (idempotency.ts). Sources that cannot (SQLite and
 * MySQL upsert only: adapters/sql/rest-upsert.ts) take the simple path.
 */
import { embeddedNames, type RestWrite, type RestWriteResult } from '../../adapters/index.js';
import { isMoboError } from '../../runtime/index.js';
import { parseJsonBody } from '../envelope.js';
import type { HttpRequest, HttpResponse } from '../http-types.js';
import { RecordedBySimplePath } from './idempotency.js';
import { parsePgrstQuery, parseFault, preferences } from './pgrst-grammar.js';
import { rulesFor, type Operation, type PgrstReadDeps } from './pgrst-read.js';
import { bodyRows } from './shape.js';

const SINGLE = 'application/vnd.pgrst.object+json';
const unsupported = new Set<string>();

/** Runs the write under the request's Idempotency-Key (if any) with the client it must write through. */
export type Idempotent = (write: (client: { restWrite(write: RestWrite): Promise<RestWriteResult> }) => Promise<HttpResponse>) => Promise<HttpResponse>;

export async function pgrstWrite(deps: PgrstReadDeps, req: HttpRequest, kind: RestWrite['kind'], idempotent: Idempotent, simple: () => Promise<HttpResponse>): Promise<HttpResponse> {
  const { project, source, table } = req.params as { project: string; source: string; table: string };
  const prefs = preferences(req);
  const resolution = prefs.get('resolution');
  const upsert = kind === 'insert' && (resolution === 'merge-duplicates' || resolution === 'ignore-duplicates');
  // A source that answered DS_UNSUPPORTED for a plain write may still upsert (SQLite, MySQL).
  if (unsupported.has(`${project}/${source}`) && !upsert) return simple();
  const parsed = parsePgrstQuery(req.query);
  const operations: Operation[] = kind === 'insert' ? (upsert && resolution === 'merge-duplicates' ? ['create', 'update'] : ['create']) : [kind];
  const principal = req.principal!;
  const grants = await Promise.all(operations.map((operation) => deps.gate.authorize(principal, { project, source, table, operation })));
  const forced = Object.assign({}, ...grants.map((g) => g.forcedValues ?? {})) as Record<string, unknown>;
  const write: RestWrite = { table, kind, root: parsed.root, rules: { [table]: grants.find((g) => g.rowFilter)?.rowFilter ?? null }, returning: prefs.get('return') === 'representation' };
  const embeds = embeddedNames(parsed.root);
  Object.assign(write.rules, await rulesFor(deps, principal, project, source, table, embeds, operations[0]));
  if (kind !== 'delete') {
    const body = parseJsonBody(req.body);
    const rows = bodyRows(Array.isArray(body) && body.length === 0 && kind === 'insert' ? [{}] : body, kind === 'insert');
    write.rows = rows.map((r) => ({ ...r, ...forced }));
    if (parsed.columns) write.columns = [...parsed.columns, ...Object.keys(forced).filter((k) => !parsed.columns!.includes(k))];
  }
  // PostgREST changes every row here; MagGate keeps its rule that a bulk update or delete names a filter.
  if (kind === 'update' && parsed.root.where.length === 0) throw parseFault('Add a filter: updating every row at once is refused');
  if (kind === 'delete' && parsed.root.where.length === 0) throw parseFault('Add a filter: deleting every row at once is refused');
  if (upsert) write.onConflict = { resolution: resolution === 'ignore-duplicates' ? 'ignore' : 'merge', ...(parsed.onConflict ? { columns: parsed.onConflict } : {}) };
  const profile = req.headers['content-profile'];
  if (profile) write.schema = profile;
  const count = prefs.get('count');
  if (count === 'exact' || count === 'planned' || count === 'estimated') write.count = count;
  if (prefs.get('tx') === 'rollback') write.rollback = true;
  if (prefs.get('missing') === 'default') write.missingDefault = true;
  const max = prefs.get('max-affected');
  if (max !== undefined && prefs.get('handling') === 'strict') {
    if (!/^\d{1,9}$/.test(max)) throw parseFault('max-affected must be a whole number');
    write.maxAffected = Number(max);
  }
  if (req.headers.accept === SINGLE) write.single = true;
  try {
    return await idempotent(async (client) => answer(write, resolution, await client.restWrite(write)));
  } catch (err) {
    if (err instanceof RecordedBySimplePath) return simple();
    if (isMoboError(err, 'DS_UNSUPPORTED') && (err.details as { backend?: string } | undefined)?.backend !== undefined && embeds.size === 0 && !upsert) {
      unsupported.add(`${project}/${source}`);
      return simple();
    }
    throw err;
  }
}

/** The response PostgREST gives for the write's result (the first time, and on a replay). */
function answer(write: RestWrite, resolution: string | undefined, result: RestWriteResult): HttpResponse {
  const kind = write.kind;
  const headers: Record<string, string> = {};
  if (write.count) headers['content-range'] = `*/${result.affected}`;
  // PostgREST: a merge that inserted nothing (every row updated) is 200; any other insert 201.
  const status = kind === 'insert' ? (resolution === 'merge-duplicates' && result.inserted === 0 ? 200 : 201) : write.returning ? 200 : 204;
  if (!write.returning) return { status: kind === 'insert' ? status : 204, headers };
  if (write.single) {
    const [row] = JSON.parse(result.body) as unknown[];
    return { status, headers: { ...headers, 'content-type': 'application/vnd.pgrst.object+json; charset=utf-8' }, body: JSON.stringify(row) };
  }
  return { status, headers: { ...headers, 'content-type': 'application/json; charset=utf-8' }, body: result.body };
}
