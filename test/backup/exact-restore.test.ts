/**
 * A restore gives back exactly what was there (issue 10), on every SQL backend, at the adapter:
 * a dump through the archive's record codec, restored over live tables, yields the same schema
 * as the backend prints it, the same rows, and the same next keys and defaults. A failure
 * injected at every step of the staged restore leaves the live schema and rows unchanged and
 * no stage behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapter } from '../../adapters/index.js';
import type { Adapter, DumpChunk, RestoreStep } from '../../adapters/types.js';
import { tempDir } from '../support/cli.js';
import { openHarness, throughArchive, type Harness, type SqlKind } from './exact.js';
import { insertDefaults, schemaSql } from './exact-fixtures.js';

const STEPS: RestoreStep[] = ['staged', 'created', 'rows', 'constraints', 'checked', 'swap'];

async function* replay(chunks: DumpChunk[]): AsyncIterable<DumpChunk> {
  yield* chunks;
}

class Injected extends Error {}

for (const kind of ['postgres', 'sqlite', 'mysql'] as SqlKind[]) {
  describe(`exact restore: ${kind}`, () => {
    const dir = tempDir('mobo-exact-');
    let h: Harness;
    let db: Adapter;
    let dumped: DumpChunk[];
    let schemaBefore: string;
    let rowsBefore: Record<string, string[]>;

    beforeAll(async () => {
      h = await openHarness(kind, dir, kind.slice(0, 2));
      await h.exec(schemaSql[kind]);
      db = createAdapter(h.source);
      await db.connect();
      schemaBefore = await h.schema();
      rowsBefore = await h.rows();
      dumped = await throughArchive(db.dump());
    }, 30_000);

    afterAll(async () => {
      await db?.close();
      await h?.drop();
    });

    it('restores over the live tables: the same schema, rows, next keys and defaults', async () => {
      const expectedNext = await h.query(insertDefaults[kind]);
      expect(await h.schema()).not.toBe(schemaBefore === '' ? 'x' : '');
      await db.restore(replay(dumped));
      expect(await h.schema()).toBe(schemaBefore);
      expect(await h.rows()).toEqual(rowsBefore);
      expect(await h.leftovers()).toEqual([]);
      const next = await h.query(insertDefaults[kind]);
      expect(next).toEqual(expectedNext);
      // Put the dumped state back for the next test.
      await db.restore(replay(dumped));
      expect(await h.rows()).toEqual(rowsBefore);
    });

    it.each(STEPS)('leaves the live schema and rows as they were when the restore fails at %s', async (step) => {
      await h.exec(kind === 'mysql' ? "INSERT INTO `Parent Table` VALUES ('live only')" : `INSERT INTO "Parent Table" (k) VALUES ('live only ${step}')`);
      const schema = await h.schema();
      const rows = await h.rows();
      const failing = db.restore(replay(dumped), {
        checkpoint: (at) => {
          if (at === step) throw new Injected(`injected at ${step}`);
        },
      });
      await expect(failing).rejects.toBeInstanceOf(Injected);
      expect(await h.schema()).toBe(schema);
      expect(await h.rows()).toEqual(rows);
      expect(await h.leftovers()).toEqual([]);
      // Live data still served through the adapter, and a restore still works after the failure.
      expect((await db.introspect(true)).tables.map((t) => t.name).sort()).toEqual(['Parent Table', 'order-items']);
      await db.restore(replay(dumped));
      expect(await h.rows()).toEqual(rowsBefore);
    });

    it('rejects a restore whose counts do not match before anything is swapped', async () => {
      await h.exec(kind === 'mysql' ? "INSERT INTO `Parent Table` VALUES ('kept')" : `INSERT INTO "Parent Table" (k) VALUES ('kept')`);
      const rows = await h.rows();
      const failing = db.restore(replay(dumped), {
        check: async (count) => {
          if ((await count('order-items')) !== 999) throw new Injected('counts differ');
        },
      });
      await expect(failing).rejects.toBeInstanceOf(Injected);
      expect(await h.rows()).toEqual(rows);
      await db.restore(replay(dumped));
    });

    it('restores the same dump into SQLite (the portable path: what backup:verify does)', async () => {
      const scratch = createAdapter({ kind: 'sqlite', url: `${dir}/scratch-${kind}.db` });
      await scratch.connect();
      try {
        await scratch.restore(replay(dumped));
        expect(await scratch.count({ table: 'order-items' })).toBe(rowsBefore['order-items']!.length);
        const odd = await scratch.select({ table: 'order-items', order: [{ column: 'id', direction: 'asc' }] });
        expect(odd.map((r) => r['Odd"Name'])).toContain('tab\there\nnew "line"');
        expect(odd.map((r) => r['Odd"Name'])).toContain('back\\slash');
      } finally {
        await scratch.close();
      }
    });
  });
}
