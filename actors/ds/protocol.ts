import { z } from 'zod';
import { type AppliedMigration, type CaptureStatus, type DescribedTable, type Filter, type MigrateOptions, type MigrationStep, outcomeUnknown, type Query, type Rehearsal, type RestCall, type RestCallResult, type RestRead, type RestReadResult, type RestWrite, type RestWriteResult, type Row, type SchemaChange, type SchemaInfo, type SchemaOp, type TableInfo } from '../../adapters/index.js';
import type { RecordRef } from './write-records.js';
import { type ActorRef, type AskOptions, type ErrorCode, isMoboError, MoboError } from '../../runtime/index.js';

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

/** An idempotent write names the record its outcome goes to (write-records.ts). */
const record = z.object({ id: z.string().min(1), claim: z.string().min(1) }).optional();

const plan = z.object({ op: z.custom<SchemaOp>((v) => isObject(v) && typeof v.op === 'string', 'An operation is an object with an op') });
const migrationSteps = z.array(z.object({ id: z.string().min(1), checksum: z.string().min(1), direction: z.enum(['up', 'down']), statements: z.array(z.string().min(1)).max(100_000) })).max(100_000);

export const DS = {
  select: { type: 'ds.select', schema: queryShape },
  count: { type: 'ds.count', schema: scope },
  insert: { type: 'ds.insert', schema: z.object({ table: z.string().min(1), rows, returning: z.boolean().optional(), record }) },
  update: { type: 'ds.update', schema: scope.extend({ patch: z.record(z.unknown()), returning: z.boolean().optional(), record }) },
  delete: { type: 'ds.delete', schema: scope.extend({ returning: z.boolean().optional(), record }) },
  batch: { type: 'ds.batch', schema: z.object({ ops: z.array(writeOp).min(1).max(1_000) }) },
  schema: { type: 'ds.schema', schema: z.object({ refresh: z.boolean().optional() }).nullish() },
  createTable: { type: 'ds.createTable', schema: z.object({ table: tableInfoSchema }) },
  dropTable: { type: 'ds.dropTable', schema: z.object({ table: z.string().min(1) }) },
  status: { type: 'ds.status', schema: z.null().optional() },
  describe: { type: 'ds.schema.describe', schema: z.object({ table: z.string().min(1) }) },
  /** The schema component (actors/schema) checks an operation in full; here its shape only. */
  plan: { type: 'ds.schema.plan', schema: plan },
  apply: { type: 'ds.schema.apply', schema: z.object({ statements: z.array(z.string().min(1)).max(100_000), op: plan.shape.op.optional() }) },
  /** Migration steps in one run (one lock, one connection; SchemaEditor.migrate). */
  migrate: {
    type: 'ds.schema.migrate',
    schema: z.object({ steps: migrationSteps, lockWaitSeconds: z.number().min(0).max(3_600).optional() }),
  },
  /** Migration steps rehearsed in a scratch place (SchemaEditor.rehearse): what tables they make. */
  rehearse: { type: 'ds.schema.rehearse', schema: z.object({ steps: migrationSteps }) },
  migrations: { type: 'ds.schema.migrations', schema: z.null().optional() },
  /** Re-read the schema; `announce`: say so (SCHEMA_REFRESHED_TOPIC) even when nothing differs. */
  refresh: { type: 'ds.schema.refresh', schema: z.object({ announce: z.boolean() }) },
  restWrite: { type: 'ds.restWrite', schema: z.custom<RestWrite>((v) => isObject(v) && typeof v.table === 'string' && typeof v.kind === 'string' && isObject(v.root) && isObject(v.rules), 'A REST write has a table, a kind, a root and rules') },
  restCall: { type: 'ds.restCall', schema: z.custom<RestCall>((v) => isObject(v) && typeof v.fn === 'string' && isObject(v.args) && isObject(v.root) && isObject(v.rules), 'A REST call has a function, arguments, a root and rules') },
  restRead: { type: 'ds.restRead', schema: z.custom<RestRead>((v) => isObject(v) && typeof v.table === 'string' && isObject(v.root) && isObject(v.rules), 'A REST read has a table, a root and rules') },
} as const;

/** Cluster-wide: a source's schema was changed through MagMoBoMini ({ project, source }). */
export const SCHEMA_CHANGED_TOPIC = 'component.schema.changed';
/** On one node: its connection actor re-read a source's schema ({ project, source }); caches drop theirs. */
export const SCHEMA_REFRESHED_TOPIC = 'component.schema.refreshed';
/** On one node: time to look for tables changed outside MagMoBoMini (the schema component's tick). */
export const SCHEMA_CHECK_TOPIC = 'component.schema.check';

export interface SourceStatus {
  project: string;
  source: string;
  kind: string;
  connected: boolean;
  latencyMs?: number;
  lastError?: string;
  /** How its changes are captured (Postgres: logical replication or triggers), once its feed started. */
  changes?: CaptureStatus;
}

/** A typed face on a connection actor's ref: what the gateway, auth and the bridge call. */
export class DataClient {
  constructor(
    readonly ref: ActorRef,
    private readonly opts: AskOptions = {},
    /** Where inserts, updates and deletes through this client record their outcome. */
    private readonly record?: RecordRef,
  ) {}

  get address(): string {
    return this.ref.address;
  }

  /** The same client, its writes recorded under an Idempotency-Key claim. */
  recordingTo(record: RecordRef): DataClient {
    return new DataClient(this.ref, this.opts, record);
  }

  select(query: Query): Promise<Row[]> {
    return this.read(DS.select.type, query);
  }
  count(table: string, where?: Query['where']): Promise<number> {
    return this.read(DS.count.type, { table, where });
  }
  insert(table: string, rows: Row[], returning = true): Promise<Row[]> {
    return this.write(DS.insert.type, { table, rows, returning, record: this.record });
  }
  update(table: string, where: Query['where'], patch: Row, returning = true): Promise<Row[]> {
    return this.write(DS.update.type, { table, where, patch, returning, record: this.record });
  }
  delete(table: string, where: Query['where'], returning = true): Promise<Row[]> {
    return this.write(DS.delete.type, { table, where, returning, record: this.record });
  }
  batch(ops: WriteOp[]): Promise<Row[][]> {
    return this.write(DS.batch.type, { ops });
  }
  schema(refresh = false): Promise<SchemaInfo> {
    return this.read(DS.schema.type, { refresh });
  }
  createTable(table: TableInfo): Promise<void> {
    return this.ref.ask(DS.createTable.type, { table }, this.opts);
  }
  dropTable(table: string): Promise<void> {
    return this.ref.ask(DS.dropTable.type, { table }, this.opts);
  }
  describe(table: string): Promise<DescribedTable> {
    return this.read(DS.describe.type, { table });
  }
  plan(op: SchemaOp): Promise<string[]> {
    return this.read(DS.plan.type, { op });
  }
  apply(change: SchemaChange): Promise<void> {
    return this.ref.ask(DS.apply.type, change, { ...this.opts, timeoutMs: 600_000 });
  }
  migrate(steps: readonly MigrationStep[], options: MigrateOptions = {}): Promise<{ applied: string[] }> {
    return this.ref.ask(DS.migrate.type, { steps, ...options }, { ...this.opts, timeoutMs: 600_000 });
  }
  rehearse(steps: readonly MigrationStep[]): Promise<Rehearsal> {
    return this.ref.ask(DS.rehearse.type, { steps }, { ...this.opts, timeoutMs: 600_000 });
  }
  migrations(): Promise<AppliedMigration[]> {
    return this.read(DS.migrations.type, null);
  }
  refresh(announce: boolean): Promise<boolean> {
    return this.read(DS.refresh.type, { announce });
  }
  /** A PostgREST read compiled into one statement by the source (adapters/rest-plan.ts). */
  restRead(read: RestRead): Promise<RestReadResult> {
    return this.read(DS.restRead.type, read);
  }
  /** A PostgREST write as one statement in one transaction (adapters/rest-plan.ts). */
  /** Recorded like insert/update/delete when this client records to an Idempotency-Key's claim. */
  restWrite(write: RestWrite): Promise<RestWriteResult> {
    return this.write(DS.restWrite.type, this.record ? { ...write, record: this.record } : write);
  }
  /** A PostgREST function call in a transaction of its own (adapters/rest-plan.ts); it may write. */
  restCall(call: RestCall): Promise<RestCallResult> {
    return this.write(DS.restCall.type, call);
  }
  status(): Promise<SourceStatus> {
    return this.ref.ask(DS.status.type, null, this.opts);
  }

  /** A read cut off by the actor's crash or stop changed nothing: DS_UNAVAILABLE, retry. */
  private read<T>(type: string, payload: unknown): Promise<T> {
    return this.ref.ask<T>(type, payload, this.opts).catch((err: unknown) => {
      throw isMoboError(err) && CUT_OFF.has(err.code) ? new MoboError('DS_UNAVAILABLE', undefined, { cause: err }) : err;
    });
  }

  /**
   * A write cut off after it reached the actor (a crash, a stop, no answer in time, a transport
   * that broke under the request) may have been applied: DS_OUTCOME_UNKNOWN, never ACTOR_CRASHED.
   * Some of those never started (a message still queued when its actor stopped); the caller
   * cannot tell them apart, so they are reported unknown too, which stays true.
   */
  private write<T>(type: string, payload: unknown): Promise<T> {
    return this.ref.ask<T>(type, payload, this.opts).catch((err: unknown) => {
      throw isMoboError(err) && (CUT_OFF.has(err.code) || LOST_IN_TRANSIT.has(err.code)) ? outcomeUnknown(err) : err;
    });
  }
}

/** The actor took the message and went away before it answered. */
const CUT_OFF = new Set<ErrorCode>(['ACTOR_CRASHED', 'ACTOR_STOPPED']);
/** The request may have been delivered and handled; the answer did not come back. */
const LOST_IN_TRANSIT = new Set<ErrorCode>(['ACTOR_ASK_TIMEOUT', 'TRANSPORT_CLOSED', 'TRANSPORT_UNAVAILABLE']);

/** Actor address of a project's source: cluster-wide, the same on every node. */
export function sourceAddress(project: string, source: string): string {
  return `ds.${project}.${source}`;
}
