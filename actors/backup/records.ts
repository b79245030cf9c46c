/**
 * What a part's frames carry: one JSON line per record. A table definition precedes its
 * rows, so `bytes` columns travel as base64 strings and come back as Buffers by column type.
 */
import type { DumpChunk, Row, TableInfo } from '../../adapters/types.js';
import { corrupt } from './container.js';

export type PartRecord = DumpChunk | { kind: 'config'; config: unknown };

interface Line {
  part: string;
  record: PartRecord;
}

/** Encodes and decodes records of one archive, remembering each table's bytes columns. */
export class RecordCodec {
  private readonly bytesColumns = new Map<string, string[]>();

  encode(part: string, record: PartRecord): Buffer {
    if (record.kind === 'table') this.learn(part, record.table);
    const out = record.kind === 'rows' ? { ...record, rows: this.mapBytes(part, record.table, record.rows, (b) => (Buffer.isBuffer(b) ? b.toString('base64') : b)) } : record;
    return Buffer.from(JSON.stringify({ part, record: out } satisfies Line) + '\n');
  }

  decode(line: Buffer): Line {
    let parsed: Line;
    try {
      parsed = JSON.parse(line.toString('utf8')) as Line;
    } catch (err) {
      throw corrupt('A record in the archive is damaged', err);
    }
    if (typeof parsed?.part !== 'string' || typeof parsed.record?.kind !== 'string') throw corrupt('A record in the archive is malformed');
    const { part, record } = parsed;
    if (record.kind === 'table') this.learn(part, record.table);
    if (record.kind === 'keys' && (!Array.isArray(record.keys) || !record.keys.every((k) => typeof k?.key === 'string' && typeof k.value === 'string' && typeof k.pttl === 'number'))) {
      throw corrupt('A record in the archive is malformed');
    }
    if (record.kind === 'collection' && (typeof record.name !== 'string' || typeof record.indexes !== 'string')) throw corrupt('A record in the archive is malformed');
    if (record.kind === 'documents' && (typeof record.collection !== 'string' || typeof record.documents !== 'string')) throw corrupt('A record in the archive is malformed');
    if (record.kind === 'copy' && (typeof record.data !== 'string' || !Number.isInteger(record.rows) || !Array.isArray(record.columns))) throw corrupt('A record in the archive is malformed');
    if (record.kind === 'rows') record.rows = this.mapBytes(part, record.table, record.rows, (b) => (typeof b === 'string' ? Buffer.from(b, 'base64') : b));
    return { part, record };
  }

  private learn(part: string, table: TableInfo): void {
    this.bytesColumns.set(`${part}\u0000${table.name}`, table.columns.filter((c) => c.type === 'bytes').map((c) => c.name));
  }

  private mapBytes(part: string, table: string, rows: Row[], map: (value: unknown) => unknown): Row[] {
    const columns = this.bytesColumns.get(`${part}\u0000${table}`) ?? [];
    if (columns.length === 0) return rows;
    return rows.map((row) => {
      const copy = { ...row };
      for (const c of columns) if (copy[c] !== null && copy[c] !== undefined) copy[c] = map(copy[c]);
      return copy;
    });
  }
}

/** Splits a frame's data into its lines (each ends with a newline). */
export function* lines(data: Buffer): Iterable<Buffer> {
  let start = 0;
  for (;;) {
    const end = data.indexOf(10, start);
    if (end < 0) {
      if (start !== data.length) throw corrupt('A frame ends in the middle of a record');
      return;
    }
    yield data.subarray(start, end + 1);
    start = end + 1;
  }
}

/** The adapter-facing records of a part (the config record is not table data). */
export async function* dumpChunks(records: AsyncIterable<PartRecord>, onRows: (rows: number) => void = () => undefined): AsyncIterable<DumpChunk> {
  for await (const record of records) {
    if (record.kind === 'config') continue;
    yield record;
    if (record.kind === 'rows') onRows(record.rows.length);
    if (record.kind === 'copy') onRows(record.rows);
  }
}
