import { type Adapter, type ChangeEvent, type ChangeFeed, type ChangeRelay, createAdapter, type DataOps, feedSeesAllWrites, forRead, isConnectionLost, type RestWrite, type RestWriteResult, type Row, type SchemaEditor, type SourceConfig } from '../../adapters/index.js';
import { DS, SCHEMA_CHANGED_TOPIC, SCHEMA_CHECK_TOPIC, SCHEMA_REFRESHED_TOPIC, type SourceStatus, type WriteOp } from './protocol.js';
import type { RecordRef, WriteRecords } from './write-records.js';
import { backgroundGate, type GateTicket } from './background-gate.js';
import { type ActorContext, type Behavior, describeError, dispatch, type EventBus, type Handlers, isMoboError, MoboError, on, topics, withTimeout } from '../../runtime/index.js';

export interface ConnectionSpec {
  project: string;
  source: string;
  config: SourceConfig;
  /** Publish the source's change feed on the event bus as `data.<project>.<source>.<table>`. */
  watch: boolean;
  /** Where idempotent writes record their outcome (project sources; not the control store itself). */
  records?: WriteRecords;
  /** Cluster mode: carries the source's logically replicated changes to this node (actors/ds/capture.ts). */
  relay?: ChangeRelay;
  /** Connects in its start instead of in the background line (the control store: its POST checks what it opened). */
  eager?: boolean;
}

const CONNECT_TIMEOUT_MS = 5_000;
/** While the source is away, a request triggers at most one reconnect attempt this often. */
const RECONNECT_EVERY_MS = 1_000;

export function changeTopic(project: string, source: string, table: string): string {
  return topics.data.change(project, source, table);
}

/**
 * One project's connection to one data source. It holds the adapter's pool and takes up
 * to 4× pool-size messages at once (catalog.ts), so a project is never served one query at a
 * time, and queries wait in the pool's queue, where concurrent inserts are grouped into shared
 * commits (adapters/sql/group-commit.ts).
 * A source that is away does not stop the actor: requests get DS_UNAVAILABLE at once
 * and the next request after a pause retries the connection. A query that finds the
 * connection lost fails the actor when the source no longer answers a health probe,
 * and its supervisor restarts it with backoff.
 */
export function connectionBehavior(spec: ConnectionSpec, events: EventBus, adapter: Adapter = createAdapter(spec.config, spec.relay ? { changeRelay: spec.relay } : {})): Behavior {
  let connected = false;
  let feed: ChangeFeed | undefined;
  let lastError: string | undefined;
  /** Why the last attempt failed: a spent connection budget is told as DS_BUSY, not as a source that is down. */
  let lastFailure: unknown;
  let lastAttempt = 0;
  let connecting: Promise<void> | undefined;
  /** Its place in the line of background connects (background-gate.ts). */
  let ticket: GateTicket | undefined;
  let busyRetry: NodeJS.Timeout | undefined;
  let stopped = false;

  const connect = (ctx: ActorContext): Promise<void> => {
    lastAttempt = Date.now();
    connecting ??= (async () => {
      try {
        await withTimeout(adapter.connect(), CONNECT_TIMEOUT_MS, () => new MoboError('DS_UNAVAILABLE', 'Connecting timed out'));
        if (spec.watch && !feed) feed = await adapter.watch((e) => publish(events, spec, e));
        connected = true;
        lastError = undefined;
        lastFailure = undefined;
      } catch (err) {
        connected = false;
        lastFailure = err;
        lastError = describeError(err);
        ctx.log.warn('data source unavailable', { project: spec.project, source: spec.source, error: lastError });
        // A spent budget is pressure, not an outage: try again by itself, so the feed comes up too.
        if (isMoboError(err, 'DS_BUSY') && !stopped && !busyRetry) {
          busyRetry = setTimeout(() => {
            busyRetry = undefined;
            if (!connected && !stopped) void connect(ctx);
          }, RECONNECT_EVERY_MS);
          busyRetry.unref();
        }
      } finally {
        connecting = undefined;
      }
    })();
    return connecting;
  };

  /** The connect under way, if any: a source still in the background line is connected now, ahead of it. */
  const settled = (): Promise<void> | undefined => {
    ticket?.hurry();
    return connecting;
  };

  /**
   * Requests that come while the source connects (at boot, every source connects in turn) wait
   * for it; one that finds it away tries again (at most once a second) and is served if that
   * works, so a source is never left down after the pressure or the outage passed.
   */
  const ready = async (ctx: ActorContext): Promise<void> => {
    if (connected) return;
    await settled();
    if (!connected && Date.now() - lastAttempt > RECONNECT_EVERY_MS) await connect(ctx);
    if (connected) return;
    if (isMoboError(lastFailure, 'DS_BUSY')) throw lastFailure;
    throw new MoboError('DS_UNAVAILABLE', undefined, { details: { project: spec.project, source: spec.source } });
  };

  /**
   * Runs an operation; a lost connection that the source confirms by failing a probe crashes the
   * actor. A write's own failure keeps its code: DS_OUTCOME_UNKNOWN when the connection went
   * after the statement was sent, and the writes in flight when the actor dies are answered
   * DS_OUTCOME_UNKNOWN by their DataClient (protocol.ts).
   */
  const run = async <T>(ctx: ActorContext, op: () => Promise<T>): Promise<T> => {
    if (!connected) await ready(ctx);
    try {
      return await op();
    } catch (err) {
      if (isConnectionLost(err)) {
        const probe = await adapter.health().catch(() => ({ status: 'down' as const }));
        if (probe.status === 'down') ctx.fail(err);
      }
      throw err;
    }
  };

  /** A read lost with its connection changed nothing (adapters/outcome.ts). */
  const read = <T>(ctx: ActorContext, op: () => Promise<T>): Promise<T> =>
    run(ctx, op).catch((err: unknown) => {
      throw forRead(err);
    });

  /**
   * A write whose outcome is recorded before it is answered: if the answer is lost (this actor
   * killed while the statement runs on), the record still learns how the write ended.
   */
  const write = async <T>(ctx: ActorContext, record: RecordRef | undefined, op: () => Promise<T>, answered: (value: T) => { rows: Row[] } | { rest: RestWriteResult }): Promise<T> => {
    if (!record || !spec.records) return run(ctx, op);
    const settle = (result: { rows: Row[] } | { rest: RestWriteResult } | { failure: unknown }): Promise<void> =>
      spec.records!.settle(record, result).catch((err: unknown) => ctx.log.warn('idempotency record not written', { error: describeError(err) }));
    let value: T;
    try {
      value = await run(ctx, op);
    } catch (err) {
      await settle({ failure: err });
      throw err;
    }
    await settle(answered(value));
    return value;
  };
  const rowsAnswer = (rows: Row[]) => ({ rows });

  const editor = (): SchemaEditor => {
    const found = adapter.schemaEditor;
    if (!found) throw new MoboError('DS_UNSUPPORTED', `A ${spec.config.kind} source has no tables to shape`, { details: { kind: spec.config.kind } });
    return found;
  };
  const refreshed = (): void => events.emitLocal(SCHEMA_REFRESHED_TOPIC, { project: spec.project, source: spec.source });
  let offSchema: Array<() => void> = [];
  /** A schema change: this node's caches drop theirs whether it went through or not. */
  const changing = async <T>(ctx: ActorContext, op: () => Promise<T>): Promise<T> => {
    try {
      return await run(ctx, op);
    } finally {
      refreshed();
    }
  };
  /** The periodic schema check of this source, in line or running. */
  let checking: GateTicket | undefined;

  const handlers: Handlers = {
    [DS.select.type]: on(DS.select.schema, (q, ctx) => read(ctx, () => adapter.select(q))),
    [DS.count.type]: on(DS.count.schema, (q, ctx) => read(ctx, () => adapter.count(q))),
    [DS.restWrite.type]: on(DS.restWrite.schema, (m, ctx) => {
      const { record, ...rest } = m as RestWrite & { record?: RecordRef };
      return write(ctx, record, () => adapter.restWrite(rest), (result) => ({ rest: result }));
    }),
    [DS.restRead.type]: on(DS.restRead.schema, (q, ctx) => read(ctx, () => adapter.restRead(q))),
    [DS.restCall.type]: on(DS.restCall.schema, (c, ctx) => run(ctx, () => adapter.restCall(c))),
    [DS.insert.type]: on(DS.insert.schema, (m, ctx) => write(ctx, m.record, () => adapter.insert(m.table, m.rows, m.returning), rowsAnswer)),
    [DS.update.type]: on(DS.update.schema, (m, ctx) => write(ctx, m.record, () => adapter.update({ table: m.table, where: m.where }, m.patch, m.returning), rowsAnswer)),
    [DS.delete.type]: on(DS.delete.schema, (m, ctx) => write(ctx, m.record, () => adapter.delete({ table: m.table, where: m.where }, m.returning), rowsAnswer)),
    [DS.batch.type]: on(DS.batch.schema, (m, ctx) => run(ctx, () => adapter.transaction((tx) => applyOps(tx, m.ops)))),
    [DS.schema.type]: on(DS.schema.schema, (m, ctx) => read(ctx, () => adapter.introspect(m?.refresh ?? false))),
    [DS.createTable.type]: on(DS.createTable.schema, (m, ctx) => run(ctx, () => adapter.createTable(m.table))),
    [DS.dropTable.type]: on(DS.dropTable.schema, (m, ctx) => run(ctx, () => adapter.dropTable(m.table))),
    [DS.describe.type]: on(DS.describe.schema, (m, ctx) => read(ctx, () => editor().describe(m.table))),
    [DS.plan.type]: on(DS.plan.schema, (m, ctx) => read(ctx, () => editor().plan(m.op))),
    [DS.apply.type]: on(DS.apply.schema, (m, ctx) => changing(ctx, () => editor().apply(m))),
    [DS.migrate.type]: on(DS.migrate.schema, (m, ctx) => changing(ctx, () => editor().migrate(m.steps, m.lockWaitSeconds === undefined ? {} : { lockWaitSeconds: m.lockWaitSeconds }))),
    [DS.rehearse.type]: on(DS.rehearse.schema, (m, ctx) => read(ctx, () => editor().rehearse(m.steps))),
    [DS.migrations.type]: on(DS.migrations.schema, (_m, ctx) => read(ctx, () => editor().migrations())),
    [DS.refresh.type]: on(DS.refresh.schema, async (m, ctx) => {
      if (!adapter.schemaEditor && !m.announce) return false;
      const changed = adapter.schemaEditor ? await read(ctx, () => editor().refresh()) : false;
      if (changed || m.announce) refreshed();
      return changed;
    }),
    [DS.status.type]: on(DS.status.schema, async (): Promise<SourceStatus> => {
      await settled();
      const status: SourceStatus = { project: spec.project, source: spec.source, kind: spec.config.kind, connected };
      if (connected) {
        const h = await adapter.health();
        status.connected = h.status === 'ok';
        if (h.latencyMs !== undefined) status.latencyMs = h.latencyMs;
      }
      if (lastError) status.lastError = lastError;
      const capture = adapter.captureStatus?.();
      if (capture) status.changes = capture;
      return status;
    }),
  };

  return {
    start: (ctx) => {
      const mine = (p: { project?: unknown; source?: unknown }) => p.project === spec.project && p.source === spec.source;
      offSchema = [
        events.on<{ project?: unknown; source?: unknown }>(SCHEMA_CHANGED_TOPIC, ({ payload }) => {
          if (mine(payload)) ctx.self.tell(DS.refresh.type, { announce: true });
        }),
        // Every source checks at once: the looks go through the background line, a few at a time.
        events.on(SCHEMA_CHECK_TOPIC, () => {
          if (connected && !checking) checking = backgroundGate.enter(() => ctx.self.ask(DS.refresh.type, { announce: false }).finally(() => (checking = undefined)));
        }),
      ];
      if (spec.eager) return connect(ctx);
      // Not awaited: a node with a thousand sources is READY at once, its sources connecting in
      // the background a few at a time; a request that comes first waits for its source (ready()).
      ticket = backgroundGate.enter(() => connect(ctx));
      return undefined;
    },
    receive: (msg, ctx) => dispatch(handlers, msg, ctx),
    async health() {
      await settled();
      if (!connected) return { status: 'down', details: { lastError } };
      const h = await adapter.health();
      return { status: h.status === 'ok' ? 'ok' : 'down', details: { latencyMs: h.latencyMs } };
    },
    async stop() {
      offSchema.forEach((off) => off());
      stopped = true;
      ticket?.cancel();
      checking?.cancel();
      clearTimeout(busyRetry);
      // A connect still under way finishes first, so the feed it opens is closed here too.
      await connecting;
      await feed?.close().catch(() => undefined);
      await adapter.close();
    },
  };
}

async function applyOps(tx: DataOps, ops: WriteOp[]): Promise<Row[][]> {
  const results: Row[][] = [];
  for (const op of ops) {
    if (op.op === 'insert') results.push(await tx.insert(op.table, op.rows, op.returning));
    else if (op.op === 'update') results.push(await tx.update({ table: op.table, where: op.where }, op.patch, op.returning));
    else results.push(await tx.delete({ table: op.table, where: op.where }, op.returning));
  }
  return results;
}

/**
 * A feed that sees every write is watched by every node's own connection actor, so its events
 * stay on this node; one that sees only its own adapter's writes is heard by no other node,
 * so its events go to the whole cluster.
 */
function publish(events: EventBus, spec: ConnectionSpec, change: ChangeEvent): void {
  const topic = changeTopic(spec.project, spec.source, change.table);
  const payload = { project: spec.project, source: spec.source, ...change };
  if (feedSeesAllWrites(spec.config.kind)) events.emitLocal(topic, payload);
  else events.emit(topic, payload);
}
