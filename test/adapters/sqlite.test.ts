import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAdapter } from '../../adapters/index.js';
import { adapterConformance } from './conformance.js';
import type { OpenedAdapter } from './conformance.js';
import { snapshotConformance } from './snapshot-conformance.js';

/** A connected adapter on a WAL file of its own, removed on cleanup. */
async function openSqliteFile(): Promise<OpenedAdapter> {
  const dir = mkdtempSync(join(tmpdir(), 'mobo-sqlite-'));
  const adapter = createAdapter({ kind: 'sqlite', url: join(dir, 'data.db') });
  await adapter.connect();
  return {
    adapter,
    cleanup: async () => {
      await adapter.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

adapterConformance('sqlite (file, WAL)', openSqliteFile, { transactions: true, textAllowsNul: true });
snapshotConformance('sqlite (file, WAL)', openSqliteFile);

describe('sqlite adapter: dump of a :memory: database', () => {
  it('holds the one connection for the dump: a write waits until the dump ends, then goes through', async () => {
    const adapter = createAdapter({ kind: 'sqlite', url: ':memory:' });
    await adapter.connect();
    try {
      const columns = [{ name: 'id', type: 'integer' as const, nativeType: 'INTEGER', nullable: false, hasDefault: false }];
      await adapter.createTable({ name: 'a', primaryKey: ['id'], columns });
      await adapter.createTable({ name: 'b', primaryKey: ['id'], columns });
      await adapter.insert('a', [{ id: 1 }]);
      await adapter.insert('b', [{ id: 1 }]);
      let write: Promise<unknown> | undefined;
      let written = false;
      const dumped: Record<string, number> = {};
      for await (const chunk of adapter.dump()) {
        if (chunk.kind === 'rows') dumped[chunk.table] = chunk.rows.length;
        write ??= adapter.insert('b', [{ id: 2 }]).then(() => (written = true));
        expect(written).toBe(false);
      }
      expect(dumped).toEqual({ a: 1, b: 1 });
      await write;
      expect(await adapter.count({ table: 'b' })).toBe(2);
    } finally {
      await adapter.close();
    }
  });
});
