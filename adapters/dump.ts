import { decodeCopyText } from './copy-text.js';
import { CopyStreams } from './copy-streams.js';
import { InFlight } from './in-flight.js';
import { BATCH_SIZE, RESTORE_IN_FLIGHT } from './options.js';
import type { Scalar, SortKey } from './query.js';
import type { Adapter, DumpChunk, NativeOnlyChunk, NativeTable, RestoreOptions, Row, TableInfo } from './types.js';
import { MoboError } from '../runtime/index.js';

export function isNativeOnly(chunk: DumpChunk): chunk is NativeOnlyChunk {
  return chunk.kind === 'keys' || chunk.kind === 'collection' || chunk.kind === 'documents';
}

/** The table a chunk belongs to (undefined: Redis keys, which belong to none). */
export function chunkTable(chunk: DumpChunk): string | undefined {
  switch (chunk.kind) {
    case 'table':
      return chunk.table.name;
    case 'keys':
      return undefined;
    case 'collection':
      return chunk.name;
    case 'documents':
      return chunk.collection;
    default:
      return chunk.table;
  }
}

type Dumpable = Pick<Adapter, 'introspect' | 'select'>;
type Restorable = Pick<Adapter, 'createTable' | 'insert'>;

export async function* dumpTables(source: Dumpable, batchSize = BATCH_SIZE): AsyncIterable<DumpChunk> {
  const schema = await source.introspect(true);
  for (const table of schema.tables) {
    yield { kind: 'table', table };
    for await (const rows of tableBatches(source, table, batchSize)) yield { kind: 'rows', table: table.name, rows };
  }
}

export async function* tableBatches(source: Pick<Adapter, 'select'>, table: TableInfo, batchSize = BATCH_SIZE): AsyncIterable<Row[]> {
  const keyset = table.primaryKey.length === 1 ? table.primaryKey[0] : undefined;
  const orderColumns = table.primaryKey.length > 0 ? table.primaryKey : table.columns.slice(0, 1).map((c) => c.name);
  const order: SortKey[] = orderColumns.map((column) => ({ column, direction: 'asc' }));
  let offset = 0;
  let after: Scalar | undefined;
  for (;;) {
    const rows = await source.select({
      table: table.name,
      order,
      limit: batchSize,
      ...(keyset === undefined
        ? { offset }
        : after === undefined
          ? {}
          : { where: { op: 'gt', column: keyset, value: after } }),
    });
    if (rows.length > 0) yield rows;
    if (rows.length < batchSize) return;
    offset += rows.length;
    if (keyset !== undefined) after = rows[rows.length - 1]![keyset] as Scalar;
  }
}

/**
 * Restores chunks in place: each table is created before its rows arrive, and up to `inFlight`
 * row batches are inserted at once. Returns the tables it created once every insert has
 * finished; on a failure, throws it once every insert already started has settled.
 */
export async function restoreTables(target: Restorable, chunks: AsyncIterable<DumpChunk>, inFlight = RESTORE_IN_FLIGHT): Promise<TableInfo[]> {
  const created = new Map<string, TableInfo>();
  const inserts = new InFlight(inFlight);
  try {
    for await (const chunk of chunks) {
      if (isNativeOnly(chunk)) continue;
      if (chunk.kind === 'table') {
        await target.createTable(chunk.table);
        created.set(chunk.table.name, chunk.table);
      } else {
        const rows = chunk.kind === 'rows' ? chunk.rows : decodeCopyText(definition(created, chunk.table), chunk.columns, chunk.data);
        if (rows.length > 0) await inserts.add(() => target.insert(chunk.table, rows));
      }
    }
  } catch (err) {
    await inserts.settle();
    throw err;
  }
  await inserts.drain();
  return [...created.values()];
}

/**
 * COPYs a Postgres stage runs at once: a dump's tables come interleaved, read on this many
 * connections of one snapshot (sql/adapter.ts), and load side by side on as many (a backup
 * target's pool holds two).
 */
const RESTORE_COPY_STREAMS = 2;

/** Where a restore builds tables beside the live ones (a shadow schema, database or file). */
export interface RestoreStage {
  /** Creates the table from its native definition when it is this backend's, else from the portable one. */
  createTable(table: TableInfo, native: NativeTable | undefined): Promise<void>;
  insert(table: string, rows: Row[]): Promise<unknown>;
  /** Loads COPY text as is, where the stage is Postgres (else the rows are decoded and inserted); answers the rows loaded. */
  copy?(table: string, columns: readonly string[], data: AsyncIterable<string>): Promise<number>;
  /** How many `copy` calls can run at once (each holds a connection until its data ends); default 1. */
  readonly copyStreams?: number;
  /** After every row: keys, foreign keys, indexes, key generators. */
  finish(): Promise<void>;
  /** The rows of a staged table (where they all came through `copy`, the rows COPY reported). */
  count(table: string): Promise<number>;
  /** Replaces the live tables of the staged tables' names in one step; `beforeCommit` runs inside it. */
  swap(beforeCommit: () => Promise<void>): Promise<void>;
  /** Removes what is left of the stage (always called, after a swap or a failure). */
  discard(): Promise<void>;
}

/**
 * Builds the dumped tables in `stage`, checks them, and swaps them in. Nothing touches the live
 * tables before the swap, which is one step: a failure anywhere before leaves them as they were.
 */
export async function restoreStaged(stage: RestoreStage, chunks: AsyncIterable<DumpChunk>, options: RestoreOptions = {}): Promise<void> {
  const step = async (name: Parameters<NonNullable<RestoreOptions['checkpoint']>>[0]) => options.checkpoint?.(name);
  try {
    await step('staged');
    const tables = new Map<string, TableInfo>();
    const inserts = new InFlight(RESTORE_IN_FLIGHT);
    const copy = stage.copy;
    // More COPYs open than the stage has connections would wait on each other for ever.
    const copies = copy ? new CopyStreams(copy, Math.max(1, Math.min(RESTORE_COPY_STREAMS, stage.copyStreams ?? 1))) : undefined;
    const iterator = chunks[Symbol.asyncIterator]();
    try {
      for (let at = await iterator.next(); !at.done; at = await iterator.next()) {
        const chunk: DumpChunk = at.value;
        if (isNativeOnly(chunk)) continue;
        if (chunk.kind === 'table') {
          await stage.createTable(chunk.table, chunk.native);
          tables.set(chunk.table.name, chunk.table);
          if (tables.size === 1) await step('created');
        } else if (chunk.kind === 'copy' && copies) {
          await inserts.drain();
          await copies.push(chunk.table, chunk.columns, chunk.data);
        } else {
          const rows = chunk.kind === 'rows' ? chunk.rows : decodeCopyText(definition(tables, chunk.table), chunk.columns, chunk.data);
          if (rows.length > 0) await inserts.add(() => stage.insert(chunk.table, rows));
        }
      }
      await copies?.finish();
    } catch (err) {
      await copies?.abort(err);
      await inserts.settle();
      await iterator.return?.();
      throw err;
    }
    await inserts.drain();
    await step('rows');
    await stage.finish();
    await step('constraints');
    await options.check?.((table) => stage.count(table));
    await step('checked');
    await stage.swap(() => step('swap'));
  } finally {
    await stage.discard();
  }
}

function definition(tables: ReadonlyMap<string, TableInfo>, name: string): TableInfo {
  const table = tables.get(name);
  if (!table) throw new MoboError('DS_QUERY_INVALID', 'Rows of a table come before its definition', { details: { table: name } });
  return table;
}
