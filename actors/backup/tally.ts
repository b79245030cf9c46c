import { createHash } from 'node:crypto';
import type { PartEntry } from './manifest.js';
import type { PartRecord } from './records.js';

/** What the manifest says of a part's content, computed the same way on write and on verify. */
export class PartTally {
  private readonly hash = createHash('sha256');
  bytes = 0;
  records = 0;
  readonly rows: Record<string, number> = {};

  add(record: PartRecord, line: Buffer): void {
    if (record.kind === 'table') this.rows[record.table.name] = 0;
    if (record.kind === 'rows') this.rows[record.table] = (this.rows[record.table] ?? 0) + record.rows.length;
    if (record.kind === 'copy') this.rows[record.table] = (this.rows[record.table] ?? 0) + record.rows;
    this.hash.update(line);
    this.bytes += line.length;
    this.records++;
  }

  /** Ends the tally (the digest can be taken once). */
  result(): Pick<PartEntry, 'sha256' | 'bytes' | 'records' | 'rows'> {
    return { sha256: this.hash.digest('hex'), bytes: this.bytes, records: this.records, rows: this.rows };
  }

  matches(part: PartEntry): boolean {
    const r = this.result();
    return r.sha256 === part.sha256 && r.bytes === part.bytes && r.records === part.records && JSON.stringify(r.rows) === JSON.stringify(part.rows);
  }
}
