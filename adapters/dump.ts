/**
 * Portable dump and restore (the MagBackup hooks): per table its definition, then its rows in
 * batches, read in primary-key order (keyset paging for a one-column key, offset paging
 * otherwise). Restore creates each table and inserts its rows, so a dump from one backend
 * restores into any other through the portable ColumnType.
 */
import { BATCH_SIZE } from './options.js';
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

/** Restores chunks in order; returns the tables it created. */
export async function restoreTables(target: Restorable, chunks: AsyncIterable<DumpChunk>): Promise<TableInfo[]> {
  const created: TableInfo[] = [];
  for await (const chunk of chunks) {
    if (chunk.kind === 'table') {
      await target.createTable(chunk.table);
      created.push(chunk.table);
    } else if (chunk.rows.length > 0) {
      await target.insert(chunk.table, chunk.rows);
    }
  }
  return created;
}
