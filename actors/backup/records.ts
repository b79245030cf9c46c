import { FORMAT, corrupt, type ArchiveFormat } from './container.js';
import type { DumpChunk, Row, TableInfo } from '../../adapters/index.js';

export type PartRecord = DumpChunk | { kind: 'config'; config: unknown };

interface Line {
  part: string;
  record: PartRecord;
  /** Format 2, a copy record: the bytes of its text, right after the line. */
  raw?: number;
}

/** One record as read from a frame: its part, itself, and its bytes in the frame. */
export interface FrameRecord {
  part: string;
  record: PartRecord;
  line: Buffer;
}

/** Encodes and decodes records of one archive, remembering each table's bytes columns. */
export class RecordCodec {
  private readonly bytesColumns = new Map<string, string[]>();

  /** `format`: what encode writes (decode reads both). */
  constructor(private readonly format: ArchiveFormat = FORMAT) {}

  encode(part: string, record: PartRecord): Buffer {
    if (record.kind === 'table') this.learn(part, record.table);
    if (record.kind === 'copy' && this.format >= 2) {
      const { data, ...rest } = record;
      const raw = Buffer.byteLength(data);
      const line = JSON.stringify({ part, record: rest, raw }) + '\n';
      const head = Buffer.byteLength(line);
      const out = Buffer.allocUnsafe(head + raw);
      out.write(line, 0, 'utf8');
      out.write(data, head, 'utf8');
      return out;
    }
    const out = record.kind === 'rows' ? { ...record, rows: this.mapBytes(part, record.table, record.rows, (b) => (Buffer.isBuffer(b) ? b.toString('base64') : b)) } : record;
    return Buffer.from(JSON.stringify({ part, record: out } satisfies Line) + '\n');
  }

  /** The records of a frame's data, in order (each line, and a copy record's raw text after it). */
  *records(data: Buffer): Iterable<FrameRecord> {
    let start = 0;
    while (start < data.length) {
      const end = data.indexOf(10, start);
      if (end < 0) throw corrupt('A frame ends in the middle of a record');
      const line = this.decode(data.subarray(start, end + 1));
      let next = end + 1;
      if (line.raw !== undefined) {
        if (line.record.kind !== 'copy' || !Number.isInteger(line.raw) || line.raw < 0 || next + line.raw > data.length) throw corrupt('A record in the archive is malformed');
        line.record.data = data.toString('utf8', next, next + line.raw);
        next += line.raw;
      }
      yield { part: line.part, record: line.record, line: data.subarray(start, next) };
      start = next;
    }
  }

  private decode(line: Buffer): Line {
    let parsed: Line;
    try {
      parsed = JSON.parse(line.toString('utf8')) as Line;
    } catch (err) {
      throw corrupt('A record in the archive is damaged', err);
    }
    if (typeof parsed?.part !== 'string' || typeof parsed.record?.kind !== 'string') throw corrupt('A record in the archive is malformed');
    const { part, record, raw } = parsed;
    if (raw !== undefined) {
      // The text follows the line; records() puts it in before anything reads the record.
      if (record.kind === 'copy' && record.data === undefined) record.data = '';
      else throw corrupt('A record in the archive is malformed');
    }
    if (record.kind === 'table') this.learn(part, record.table);
    if (record.kind === 'keys' && (!Array.isArray(record.keys) || !record.keys.every((k) => typeof k?.key === 'string' && typeof k.value === 'string' && typeof k.pttl === 'number'))) {
      throw corrupt('A record in the archive is malformed');
    }
    if (record.kind === 'collection' && (typeof record.name !== 'string' || typeof record.indexes !== 'string')) throw corrupt('A record in the archive is malformed');
    if (record.kind === 'documents' && (typeof record.collection !== 'string' || typeof record.documents !== 'string')) throw corrupt('A record in the archive is malformed');
    if (record.kind === 'copy' && (typeof record.data !== 'string' || !Number.isInteger(record.rows) || !Array.isArray(record.columns))) throw corrupt('A record in the archive is malformed');
    if (record.kind === 'rows') record.rows = this.mapBytes(part, record.table, record.rows, (b) => (typeof b === 'string' ? Buffer.from(b, 'base64') : b));
    return raw === undefined ? { part, record } : { part, record, raw };
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

/** The adapter-facing records of a part (the config record is not table data). */
export async function* dumpChunks(records: AsyncIterable<PartRecord>, onRows: (rows: number) => void = () => undefined): AsyncIterable<DumpChunk> {
  for await (const record of records) {
    if (record.kind === 'config') continue;
    yield record;
    if (record.kind === 'rows') onRows(record.rows.length);
    if (record.kind === 'copy') onRows(record.rows);
  }
}
