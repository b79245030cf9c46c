import type { Gatekeeper, Operation, Principal } from '../actors/auth/principal.js';
import { OPERATIONS } from '../actors/auth/scopes.js';
import type { ColumnInfo, TableInfo } from '../adapters/index.js';
import { toMoboError } from '../runtime/index.js';

export interface SourceTables {
  project: string;
  source: string;
  tables: TableInfo[];
  /** Per table, what the reader may do (absent: everything, for the operator's document). */
  operations?: Map<string, Operation[]>;
}

/** A source left out of the document because it did not answer, and why (its error code). */
export interface LeftOut {
  project: string;
  source: string;
  code: string;
}

/** Each source's tables; one that does not answer is left out with a note instead of failing the document. */
export async function gatherTables(project: string, sources: string[], tablesOf: (source: string) => Promise<TableInfo[]>): Promise<{ sources: SourceTables[]; leftOut: LeftOut[] }> {
  const settled = await Promise.allSettled(sources.map(async (source) => ({ project, source, tables: await tablesOf(source) })));
  const leftOut: LeftOut[] = [];
  const found: SourceTables[] = [];
  settled.forEach((r, i) => (r.status === 'fulfilled' ? found.push(r.value) : leftOut.push({ project, source: sources[i]!, code: toMoboError(r.reason).code })));
  return { sources: found, leftOut };
}

/** Only the tables, and per table the operations, this principal may use: the document shows nothing it could not call. */
export async function scopeTo(gate: Gatekeeper, principal: Principal, sources: SourceTables[]): Promise<SourceTables[]> {
  const allowed = async (source: string, table: string, operation: Operation): Promise<boolean> =>
    gate.authorize(principal, { project: principal.project, source, table, operation }).then(
      () => true,
      () => false,
    );
  return Promise.all(
    sources.map(async (s) => {
      const operations = new Map<string, Operation[]>();
      for (const table of s.tables) {
        const ops = (await Promise.all(OPERATIONS.map(async (op) => ((await allowed(s.source, table.name, op)) ? op : undefined)))).filter((op): op is Operation => op !== undefined);
        if (ops.length > 0) operations.set(table.name, ops);
      }
      return { ...s, tables: s.tables.filter((t) => operations.has(t.name)), operations };
    }),
  );
}

type JsonSchema = Record<string, unknown>;

const COLUMN_SCHEMA: Record<ColumnInfo['type'], JsonSchema> = {
  text: { type: 'string' },
  uuid: { type: 'string', format: 'uuid' },
  integer: { type: 'integer' },
  float: { type: 'number' },
  boolean: { type: 'boolean' },
  timestamp: { type: 'string', format: 'date-time' },
  json: {},
  bytes: { type: 'string', contentEncoding: 'base64' },
};

function rowSchema(table: TableInfo): JsonSchema {
  const properties = Object.fromEntries(
    table.columns.map((c) => {
      const base = COLUMN_SCHEMA[c.type];
      const schema: JsonSchema = c.nullable && 'type' in base ? { ...base, type: [base.type, 'null'] } : { ...base };
      schema.description = `${c.nativeType}${table.primaryKey.includes(c.name) ? ' (primary key)' : ''}`;
      return [c.name, schema];
    }),
  );
  const required = table.columns.filter((c) => !c.nullable && !c.hasDefault).map((c) => c.name);
  return { type: 'object', properties, ...(required.length ? { required } : {}) };
}

const envelope = (data: JsonSchema): JsonSchema => ({
  type: 'object',
  properties: { data, meta: { $ref: '#/components/schemas/Meta' } },
  required: ['data', 'meta'],
});

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const errorResponses = Object.fromEntries(
  ['400', '401', '403', '404', '409', '422', '429', '500', '503'].map((code) => [code, { $ref: '#/components/responses/Error' }]),
);

const LIST_PARAMETERS = [
  { name: 'select', in: 'query', description: 'Columns to return, comma-separated (also `fields`)', schema: { type: 'string' } },
  { name: 'order', in: 'query', description: 'PostgREST order: `col.desc.nullslast,other` (also `sort=col:desc`)', schema: { type: 'string' } },
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 1000 } },
  { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0 } },
  { name: 'page', in: 'query', description: 'Page number from 1 (with `limit`); adds `meta.count`', schema: { type: 'integer', minimum: 1 } },
  { name: 'q', in: 'query', description: 'Case-insensitive search over text columns', schema: { type: 'string' } },
  { name: 'or', in: 'query', description: 'PostgREST logic group: `(a.eq.1,b.is.null)`', schema: { type: 'string' } },
];

/**
 * An OpenAPI 3.1 description of the REST API over the given sources' tables. `serverUrl`
 * comes from config (`http.publicUrl`), or is `/` (relative to where the document was
 * fetched): never from the request's Host header, which a client chooses.
 */
export function openApiDocument(sources: SourceTables[], serverUrl: string, leftOut: LeftOut[] = []): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, JsonSchema> = {
    Meta: {
      type: 'object',
      properties: { request_id: { type: 'string' }, timestamp: { type: 'string', format: 'date-time' }, count: { type: 'integer' } },
      required: ['request_id', 'timestamp'],
    },
    Error: {
      type: 'object',
      properties: {
        error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } }, required: ['code', 'message'] },
        meta: { $ref: '#/components/schemas/Meta' },
      },
      required: ['error', 'meta'],
    },
  };
  for (const { project, source, tables, operations } of sources) {
    for (const table of tables) {
      const name = `${project}.${source}.${table.name}`.replace(/[^A-Za-z0-9._-]/g, '_');
      schemas[name] = rowSchema(table);
      const ref = { $ref: `#/components/schemas/${name}` };
      const base = `/v1/${project}/${source}/${table.name}`;
      const tag = `${project}/${source}`;
      const ops: readonly Operation[] = operations?.get(table.name) ?? OPERATIONS;
      const allowed: Record<string, boolean> = { get: ops.includes('read'), post: ops.includes('create'), put: ops.includes('update'), patch: ops.includes('update'), delete: ops.includes('delete') };
      const only = (methods: Record<string, unknown>) => Object.fromEntries(Object.entries(methods).filter(([method]) => allowed[method]));
      paths[base] = only({
        get: { tags: [tag], summary: `List ${table.name}`, parameters: LIST_PARAMETERS, responses: { 200: { description: 'Rows', content: json(envelope({ type: 'array', items: ref })) }, ...errorResponses } },
        post: {
          tags: [tag],
          summary: `Create ${table.name} (an object, or an array for bulk)`,
          requestBody: { required: true, content: json({ oneOf: [ref, { type: 'array', items: ref, maxItems: 1000 }] }) },
          responses: { 201: { description: 'Created', content: json(envelope({ oneOf: [ref, { type: 'array', items: ref }] })) }, ...errorResponses },
        },
      });
      if (table.primaryKey.length === 1) {
        const id = { name: 'id', in: 'path', required: true, description: `Value of ${table.primaryKey[0]}`, schema: { type: 'string' } };
        paths[`${base}/{id}`] = only({
          get: { tags: [tag], summary: `Get one ${table.name}`, parameters: [id], responses: { 200: { description: 'The row', content: json(envelope(ref)) }, ...errorResponses } },
          put: { tags: [tag], summary: `Replace one ${table.name}`, parameters: [id], requestBody: { required: true, content: json(ref) }, responses: { 200: { description: 'Updated', content: json(envelope(ref)) }, ...errorResponses } },
          patch: { tags: [tag], summary: `Update one ${table.name}`, parameters: [id], requestBody: { required: true, content: json({ type: 'object' }) }, responses: { 200: { description: 'Updated', content: json(envelope(ref)) }, ...errorResponses } },
          delete: { tags: [tag], summary: `Delete one ${table.name}`, parameters: [id], responses: { 204: { description: 'Deleted' }, ...errorResponses } },
        });
      }
    }
  }
  const missing = leftOut.map((l) => `${l.project}/${l.source} (${l.code})`).join(', ');
  const description = 'The tables these credentials may use, as REST. Filters: `col=op.value` (PostgREST) or `col=value`.' + (missing ? ` Left out, not answering now: ${missing}.` : '');
  return {
    openapi: '3.1.0',
    info: { title: 'MagMoBoMini REST API', version: '1', description, ...(leftOut.length > 0 ? { 'x-mobo-unavailable': leftOut } : {}) },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }, { apikey: [] }],
    paths,
    components: {
      schemas,
      responses: { Error: { description: 'An error with a stable code', content: json({ $ref: '#/components/schemas/Error' }) } },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT or ak_ API key' },
        apikey: { type: 'apiKey', in: 'header', name: 'apikey' },
      },
    },
  };
}
