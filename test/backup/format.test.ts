/**
 * Archive formats: new archives are format 2 (a Postgres COPY chunk's text as raw bytes after
 * its record line); format 1 archives (the text as a JSON string) still open, verify and give
 * back the same records. Real files, written and read by the archive writer and reader.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArchiveReader } from '../../actors/backup/archive-reader.js';
import { ArchiveWriter } from '../../actors/backup/archive-writer.js';
import type { ArchiveFormat } from '../../actors/backup/container.js';
import type { PartRecord } from '../../actors/backup/records.js';
import { tempDir } from '../support/cli.js';
import { itemsTable } from './support.js';

const COPY_TEXT = ['1\tplain\t\\N', '2\ttab\\tand\\\\backslash "quotes"\t\\\\x00ff', '3\tünïcode ✓ 𝄞\t{"a":[1,2]}'].join('\n') + '\n';

const records: PartRecord[] = [
  { kind: 'table', table: itemsTable('items') },
  { kind: 'copy', table: 'items', columns: ['id', 'name', 'qty'], rows: 3, data: COPY_TEXT },
  { kind: 'copy', table: 'items', columns: ['id', 'name', 'qty'], rows: 1, data: '4\tlast\t7\n' },
  { kind: 'rows', table: 'items', rows: [{ id: 5, name: 'row', qty: null, ok: true }] },
];

describe('archive formats', () => {
  const dir = tempDir('mobo-archive-format-');

  it.each([1, 2] as ArchiveFormat[])('format %i opens, verifies and gives back its records', async (format) => {
    const path = join(dir, `f${format}.mobo`);
    const identity = { id: `f${format}`, node: 'node1', moboVersion: 'test', createdAt: new Date().toISOString(), reason: 'format' };
    const writer = await ArchiveWriter.create(path, identity, undefined, format);
    const part = writer.part({ name: 'p/pg', kind: 'source', adapter: 'postgres' }, new Date());
    for (const record of records) await part.write(record);
    const entry = part.end();
    const manifest = await writer.finish(new Date());
    expect(manifest.format).toBe(format);
    expect(entry.rows).toEqual({ items: 5 });

    const reader = await ArchiveReader.open(path, undefined);
    try {
      expect(reader.header.format).toBe(format);
      await reader.verify();
      const back: PartRecord[] = [];
      for await (const record of reader.records('p/pg', true)) back.push(record);
      expect(back).toEqual(records);
    } finally {
      await reader.close();
    }
  });
});
