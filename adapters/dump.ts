/**
 * Portable dump and restore (the MagBackup hooks): per table its definition, then its rows in
 * batches, read in primary-key order (keyset paging for a one-column key, offset paging
 * otherwise). Restore creates each table and inserts its rows, several batches in flight
 * (rows carry their keys, so order does not matter), so a dump from one backend restores into
 * any other through the portable ColumnType. A backend that can read every table in one
 * snapshot wraps dumpTables in it (sql/adapter.ts); called on the adapter itself, each page is
 * read on its own.
 */
import { InFlight } from './in-flight.js';
import { BATCH_SIZE, RESTORE_IN_FLIGHT } from './options.js';
import type { Scalar, SortKey } from './query.js';
import type { Adapter, DumpChunk, Row, TableInfo } from './types.js';

type Dumpable = Pick<Adapter, 'introspect' | 'select'>;
type Restorable = Pick<Adapter, 'createTable' | 'insert'>;

export async function* dumpTables(source: Dumpable, batchSize = BATCH_SIZE): AsyncIterable<DumpChunk> {
  const schema = await source.introspect(true);
  for (const table of schema.tables) {
    yield { kind: 'table', table };
    for await (const rows of tableBatches(source, table, batchSize)) yield { kind: 'rows', table: table.name, rows };
  }
}

async function* tableBatches(source: Dumpable, table: TableInfo, batchSize: number): AsyncIterable<Row[]> {
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
 * Restores chunks: each table is created before its rows arrive, and up to `inFlight` row
 * batches are inserted at once. Returns the tables it created once every insert has finished;
 * on a failure, throws it once every insert already started has settled.
 */
export async function restoreTables(target: Restorable, chunks: AsyncIterable<DumpChunk>, inFlight = RESTORE_IN_FLIGHT): Promise<TableInfo[]> {
  const created: TableInfo[] = [];
  const inserts = new InFlight(inFlight);
  try {
    for await (const chunk of chunks) {
      if (chunk.kind === 'table') {
        await target.createTable(chunk.table);
        created.push(chunk.table);
      } else if (chunk.rows.length > 0) {
        const { table, rows } = chunk;
        await inserts.add(() => target.insert(table, rows));
      }
    }
  } catch (err) {
    await inserts.settle();
    throw err;
  }
  await inserts.drain();
  return created;
}
