import { z } from 'zod';
import type { Filter } from '../../adapters/query.js';
import type { Query, Row, SchemaInfo, TableInfo } from '../../adapters/types.js';
import type { ActorRef, AskOptions } from '../../runtime/ref.js';

/**
 * The messages a connection actor answers. One schema each, checked at the actor's edge.
 * Queries and filters get a shape check only: the adapter then checks every table,
 * column, operator and value against the introspected schema (adapters/validate.ts), so
 * a deep parse here would do the same work twice on the hottest path.
 */
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const filterShape = z.custom<Filter>((v) => isObject(v) && typeof v.op === 'string', 'A filter is an object with an op');
const queryShape = z.custom<Query>(
  (v) =>
    isObject(v) &&
    typeof v.table === 'string' &&
    v.table.length > 0 &&
    (v.columns === undefined || Array.isArray(v.columns)) &&
    (v.order === undefined || Array.isArray(v.order)) &&
    (v.where === undefined || isObject(v.where)),
  'A query is an object with a table',
);
const rows = z.array(z.record(z.unknown()));
const scope = z.object({ table: z.string().min(1), where: filterShape.optional() });

const columnSchema = z.object({
  name: z.string().min(1),
  type: z.enum(['text', 'integer', 'float', 'boolean', 'timestamp', 'json', 'bytes', 'uuid']),
  nativeType: z.string(),
  nullable: z.boolean(),
  hasDefault: z.boolean(),
});
export const tableInfoSchema = z.object({ name: z.string().min(1), columns: z.array(columnSchema).min(1), primaryKey: z.array(z.string()) });

const writeOp = z.discriminatedUnion('op', [
  z.object({ op: z.literal('insert'), table: z.string().min(1), rows, returning: z.boolean().optional() }),
  z.object({ op: z.literal('update'), table: z.string().min(1), where: filterShape.optional(), patch: z.record(z.unknown()), returning: z.boolean().optional() }),
  z.object({ op: z.literal('delete'), table: z.string().min(1), where: filterShape.optional(), returning: z.boolean().optional() }),
]);
export type WriteOp = z.infer<typeof writeOp>;

export const DS = {
  select: { type: 'ds.select', schema: queryShape },
  count: { type: 'ds.count', schema: scope },
  insert: { type: 'ds.insert', schema: z.object({ table: z.string().min(1), rows, returning: z.boolean().optional() }) },
  update: { type: 'ds.update', schema: scope.extend({ patch: z.record(z.unknown()), returning: z.boolean().optional() }) },
  delete: { type: 'ds.delete', schema: scope.extend({ returning: z.boolean().optional() }) },
  batch: { type: 'ds.batch', schema: z.object({ ops: z.array(writeOp).min(1).max(1_000) }) },
  schema: { type: 'ds.schema', schema: z.object({ refresh: z.boolean().optional() }).nullish() },
  createTable: { type: 'ds.createTable', schema: z.object({ table: tableInfoSchema }) },
  dropTable: { type: 'ds.dropTable', schema: z.object({ table: z.string().min(1) }) },
  status: { type: 'ds.status', schema: z.null().optional() },
} as const;

export interface SourceStatus {
  project: string;
  source: string;
  kind: string;
  connected: boolean;
  latencyMs?: number;
  lastError?: string;
}

/** A typed face on a connection actor's ref: what the gateway, auth and the bridge call. */
export class DataClient {
  constructor(
    private readonly ref: ActorRef,
    private readonly opts: AskOptions = {},
  ) {}

  get address(): string {
    return this.ref.address;
  }

  select(query: Query): Promise<Row[]> {
    return this.ref.ask(DS.select.type, query, this.opts);
  }
  count(table: string, where?: Query['where']): Promise<number> {
    return this.ref.ask(DS.count.type, { table, where }, this.opts);
  }
  insert(table: string, rows: Row[], returning = true): Promise<Row[]> {
    return this.ref.ask(DS.insert.type, { table, rows, returning }, this.opts);
  }
  update(table: string, where: Query['where'], patch: Row, returning = true): Promise<Row[]> {
    return this.ref.ask(DS.update.type, { table, where, patch, returning }, this.opts);
  }
  delete(table: string, where: Query['where'], returning = true): Promise<Row[]> {
    return this.ref.ask(DS.delete.type, { table, where, returning }, this.opts);
  }
  batch(ops: WriteOp[]): Promise<Row[][]> {
    return this.ref.ask(DS.batch.type, { ops }, this.opts);
  }
  schema(refresh = false): Promise<SchemaInfo> {
    return this.ref.ask(DS.schema.type, { refresh }, this.opts);
  }
  createTable(table: TableInfo): Promise<void> {
    return this.ref.ask(DS.createTable.type, { table }, this.opts);
  }
  dropTable(table: string): Promise<void> {
    return this.ref.ask(DS.dropTable.type, { table }, this.opts);
  }
  status(): Promise<SourceStatus> {
    return this.ref.ask(DS.status.type, null, this.opts);
  }
}

/** Actor address of a project's source: cluster-wide, the same on every node. */
export function sourceAddress(project: string, source: string): string {
  return `ds.${project}.${source}`;
}
