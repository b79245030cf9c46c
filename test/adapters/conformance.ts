/**
 * The one contract suite every adapter runs (test/adapters/<kind>.test.ts). Each test works on
 * its own randomly named tables and drops them; `makeAdapter` gives a connected adapter in a
 * namespace of its own, so dump/restore sees only this suite's tables.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isMoboError } from '../../runtime/errors.js';
import { chunkTable, createAdapter, isNativeOnly } from '../../adapters/index.js';
import type { Filter } from '../../adapters/query.js';
import type { Adapter, ColumnInfo, DumpChunk, Row, TableInfo } from '../../adapters/types.js';
import { EventLog, uniqueName } from './helpers.js';

export interface OpenedAdapter {
  adapter: Adapter;
  /** Closes the adapter and removes its namespace. */
  cleanup(): Promise<void>;
}

export interface AdapterTraits {
  /** The backend has transactions (else `transaction` must throw DS_UNSUPPORTED). */
  transactions: boolean;
  /** Text may hold U+0000 (else writing it is DS_VALUE_INVALID). */
  textAllowsNul: boolean;
}

const col = (name: string, type: ColumnInfo['type'], nullable = true, hasDefault = false): ColumnInfo => ({
  name,
  type,
  nativeType: type,
  nullable,
  hasDefault,
});

function itemsTable(name: string): TableInfo {
  return {
    name,
    primaryKey: ['id'],
    columns: [
      col('id', 'integer', false, true),
      col('name', 'text', false),
      col('score', 'float'),
      col('qty', 'integer'),
      col('active', 'boolean'),
      col('tags', 'json'),
      col('created', 'timestamp'),
      col('blob', 'bytes'),
      col('ref', 'uuid'),
    ],
  };
}

const SEED: Row[] = [
  { name: 'apple', score: 1.5, qty: 10, active: true, tags: { a: 1 }, created: '2024-01-01T00:00:00.000Z', blob: Buffer.from([1, 2]), ref: '7c9e6679-7425-40de-944b-e07fc1f90ae7' },
  { name: 'Banana', score: 2.5, qty: null, active: false, tags: ['x', 'y'], created: '2024-02-01T12:30:00.000Z', blob: null, ref: null },
  { name: 'cherry', score: null, qty: 30, active: null, tags: null, created: null, blob: null, ref: null },
  { name: 'date_50%', score: 4, qty: 40, active: true, tags: 'text', created: '2023-12-31T23:59:59.999Z', blob: Buffer.from('hi'), ref: null },
  { name: 'elder*', score: -1, qty: 0, active: false, tags: 7, created: '2024-03-01T00:00:00.000Z', blob: null, ref: null },
];

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isMoboError(err), `expected ${code}, got ${String(err)}`).toBe(true);
  expect((err as { code: string }).code).toBe(code);
}

async function collect(chunks: AsyncIterable<DumpChunk>): Promise<DumpChunk[]> {
  const all: DumpChunk[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return all;
}

async function* replay(chunks: DumpChunk[]): AsyncIterable<DumpChunk> {
  yield* chunks;
}

export function adapterConformance(name: string, makeAdapter: () => Promise<OpenedAdapter>, traits: AdapterTraits): void {
  describe(`adapter conformance: ${name}`, () => {
    let opened: OpenedAdapter;
    let db: Adapter;
    let created: string[] = [];

    beforeAll(async () => {
      opened = await makeAdapter();
      db = opened.adapter;
    });
    afterAll(async () => {
      await opened?.cleanup();
    });
    afterEach(async () => {
      for (const table of created) await db.dropTable(table).catch(() => undefined);
      created = [];
    });

    async function table(prefix = 'items'): Promise<string> {
      const tableName = uniqueName(prefix);
      await db.createTable(itemsTable(tableName));
      created.push(tableName);
      return tableName;
    }

    async function seeded(): Promise<{ t: string; ids: number[] }> {
      const t = await table();
      const rows = await db.insert(t, SEED, true);
      return { t, ids: rows.map((r) => r['id'] as number) };
    }

    async function idsWhere(t: string, where: Filter): Promise<string[]> {
      const rows = await db.select({ table: t, where, columns: ['name'], order: [{ column: 'id', direction: 'asc' }] });
      return rows.map((r) => r['name'] as string);
    }

    it('connects and reports health', async () => {
      const health = await db.health();
      expect(health.status).toBe('ok');
    });

    it('introspects tables: columns, portable types, nullability, primary key', async () => {
      const t = await table();
      const schema = await db.introspect(true);
      const info = schema.tables.find((x) => x.name === t);
      expect(info).toBeDefined();
      expect(info!.primaryKey).toEqual(['id']);
      expect(info!.columns.map((c) => [c.name, c.type])).toEqual(itemsTable(t).columns.map((c) => [c.name, c.type]));
      expect(info!.columns.find((c) => c.name === 'name')!.nullable).toBe(false);
      expect(info!.columns.find((c) => c.name === 'score')!.nullable).toBe(true);
      expect(info!.columns.find((c) => c.name === 'id')!.hasDefault).toBe(true);
    });

    it('inserts, reads, updates and deletes rows with every portable type intact', async () => {
      const { t, ids } = await seeded();
      expect(ids).toHaveLength(5);
      expect(new Set(ids).size).toBe(5);
      const [apple] = await db.select({ table: t, where: { op: 'eq', column: 'id', value: ids[0]! } });
      expect(apple).toEqual({ id: ids[0], ...SEED[0] });
      const [banana] = await db.select({ table: t, where: { op: 'eq', column: 'id', value: ids[1]! } });
      expect(banana).toEqual({ id: ids[1], ...SEED[1] });

      const updated = await db.update({ table: t, where: { op: 'eq', column: 'name', value: 'apple' } }, { qty: 11, tags: { b: [1, 2] } }, true);
      expect(updated).toEqual([{ id: ids[0], ...SEED[0], qty: 11, tags: { b: [1, 2] } }]);
      expect(await db.update({ table: t, where: { op: 'gt', column: 'qty', value: 1000 } }, { qty: 1 }, true)).toEqual([]);

      const deleted = await db.delete({ table: t, where: { op: 'eq', column: 'id', value: ids[2]! } }, true);
      expect(deleted.map((r) => r['name'])).toEqual(['cherry']);
      expect(await db.count({ table: t })).toBe(4);
      expect(await db.insert(t, [{ name: 'quiet' }])).toEqual([]);
      expect(await db.count({ table: t })).toBe(5);
      await db.delete({ table: t });
      expect(await db.count({ table: t })).toBe(0);
    });

    it('inserts a large batch (a restore batch) with every portable type as it inserts row by row', async () => {
      const [single, batch] = [await table(), await table()];
      const odd: Row[] = [
        { name: 'floats', score: 0.1 + 0.2, qty: -42, tags: { q: 'it\'s "x" \\ \n\t', n: [null, true, 1.5, 'é'] } },
        { name: 'bytes', score: 1e-300, blob: Buffer.from([0, 255, 92, 120, 34]), tags: '"quoted"', ref: 'C9BF9E57-1685-4C89-BAFB-FF5AF830BE8A' },
      ];
      const kinds = [...SEED, ...odd];
      const rows = Array.from({ length: 70 }, (_, i) => ({ ...kinds[i % kinds.length]!, name: `${String(i).padStart(2, '0')} ${kinds[i % kinds.length]!['name'] as string}` }));
      for (const row of rows) await db.insert(single, [row]);
      await db.insert(batch, rows);
      const withoutId = async (t: string) =>
        (await db.select({ table: t, order: [{ column: 'name', direction: 'asc' }] })).map(({ id: _id, ...rest }) => rest);
      expect(await withoutId(batch)).toEqual(await withoutId(single));
      const [first] = await db.select({ table: batch, order: [{ column: 'id', direction: 'asc' }], limit: 1 });
      const clash = rows.map((row, i) => ({ ...row, id: i === 50 ? first!['id'] : 1_000_000 + i }));
      await expectCode(db.insert(batch, clash), 'DS_CONFLICT');
    });

    it('inserts with an explicit key and with only defaults', async () => {
      const t = uniqueName('defaults');
      await db.createTable({ name: t, primaryKey: ['id'], columns: [col('id', 'integer', false, true), col('note', 'text')] });
      created.push(t);
      await db.insert(t, [{ id: 100, note: 'explicit' }]);
      const [generated] = await db.insert(t, [{}], true);
      expect(generated!['note']).toBeNull();
      expect(typeof generated!['id']).toBe('number');
      expect(await db.count({ table: t })).toBe(2);
    });

    it('filters with every operator, null semantics included', async () => {
      const { t } = await seeded();
      const cases: Array<[Filter, string[]]> = [
        [{ op: 'eq', column: 'name', value: 'apple' }, ['apple']],
        [{ op: 'eq', column: 'name', value: 'APPLE' }, []],
        [{ op: 'neq', column: 'qty', value: 10 }, ['cherry', 'date_50%', 'elder*']],
        [{ op: 'gt', column: 'score', value: 1.5 }, ['Banana', 'date_50%']],
        [{ op: 'gte', column: 'score', value: 1.5 }, ['apple', 'Banana', 'date_50%']],
        [{ op: 'lt', column: 'qty', value: 30 }, ['apple', 'elder*']],
        [{ op: 'lte', column: 'qty', value: 30 }, ['apple', 'cherry', 'elder*']],
        [{ op: 'gt', column: 'created', value: '2024-01-15T00:00:00Z' }, ['Banana', 'elder*']],
        [{ op: 'like', column: 'name', value: '%an%' }, ['Banana']],
        [{ op: 'like', column: 'name', value: 'b*' }, []],
        [{ op: 'ilike', column: 'name', value: 'b*' }, ['Banana']],
        [{ op: 'like', column: 'name', value: '_pple' }, ['apple']],
        [{ op: 'like', column: 'name', value: '%\\%' }, ['date_50%']],
        [{ op: 'like', column: 'name', value: 'elder\\*' }, ['elder*']],
        [{ op: 'like', column: 'name', value: 'date\\_%' }, ['date_50%']],
        [{ op: 'in', column: 'qty', values: [10, 40, 999] }, ['apple', 'date_50%']],
        [{ op: 'in', column: 'name', values: [] }, []],
        [{ op: 'is', column: 'qty', value: null }, ['Banana']],
        [{ op: 'is', column: 'active', value: true }, ['apple', 'date_50%']],
        [{ op: 'is', column: 'active', value: false }, ['Banana', 'elder*']],
        [{ op: 'eq', column: 'score', value: null }, ['cherry']],
        [{ op: 'neq', column: 'score', value: null }, ['apple', 'Banana', 'date_50%', 'elder*']],
        [{ op: 'eq', column: 'active', value: false }, ['Banana', 'elder*']],
        [{ op: 'eq', column: 'ref', value: '7C9E6679-7425-40DE-944B-E07FC1F90AE7' }, ['apple']],
        [{ op: 'not', filter: { op: 'eq', column: 'qty', value: 10 } }, ['cherry', 'date_50%', 'elder*']],
        [{ op: 'not', filter: { op: 'is', column: 'active', value: true } }, ['Banana', 'cherry', 'elder*']],
        [
          { op: 'or', filters: [{ op: 'eq', column: 'name', value: 'apple' }, { op: 'and', filters: [{ op: 'gt', column: 'qty', value: 20 }, { op: 'not', filter: { op: 'like', column: 'name', value: 'c%' } }] }] },
          ['apple', 'date_50%'],
        ],
        [{ op: 'not', filter: { op: 'or', filters: [{ op: 'gt', column: 'score', value: 2 }, { op: 'lt', column: 'qty', value: 5 }] } }, ['apple']],
        [{ op: 'and', filters: [] }, ['apple', 'Banana', 'cherry', 'date_50%', 'elder*']],
        [{ op: 'or', filters: [] }, []],
      ];
      for (const [where, expected] of cases) {
        expect(await idsWhere(t, where), JSON.stringify(where)).toEqual(expected);
        expect(await db.count({ table: t, where }), JSON.stringify(where)).toBe(expected.length);
      }
    });

    it('orders (nulls last ascending, first descending, or as asked), pages and selects columns', async () => {
      const { t } = await seeded();
      const names = async (order: Parameters<Adapter['select']>[0]['order'], limit?: number, offset?: number) =>
        (await db.select({ table: t, columns: ['name'], order, ...(limit === undefined ? {} : { limit }), ...(offset === undefined ? {} : { offset }) })).map((r) => r['name']);
      expect(await names([{ column: 'qty', direction: 'asc' }])).toEqual(['elder*', 'apple', 'cherry', 'date_50%', 'Banana']);
      expect(await names([{ column: 'qty', direction: 'desc' }])).toEqual(['Banana', 'date_50%', 'cherry', 'apple', 'elder*']);
      expect(await names([{ column: 'qty', direction: 'asc', nulls: 'first' }])).toEqual(['Banana', 'elder*', 'apple', 'cherry', 'date_50%']);
      expect(await names([{ column: 'active', direction: 'asc' }, { column: 'score', direction: 'desc' }])).toEqual(['Banana', 'elder*', 'date_50%', 'apple', 'cherry']);
      expect(await names([{ column: 'id', direction: 'asc' }], 2, 1)).toEqual(['Banana', 'cherry']);
      expect(await names([{ column: 'id', direction: 'asc' }], undefined, 3)).toEqual(['date_50%', 'elder*']);
      expect(await names([{ column: 'id', direction: 'asc' }], 0)).toEqual([]);
      const rows = await db.select({ table: t, columns: ['qty', 'name'], where: { op: 'eq', column: 'name', value: 'apple' } });
      expect(rows).toEqual([{ qty: 10, name: 'apple' }]);
    });

    it('commits and rolls back transactions', async () => {
      const t = await table();
      if (!traits.transactions) {
        await expectCode(db.transaction(async () => 1), 'DS_UNSUPPORTED');
        return;
      }
      const result = await db.transaction(async (tx) => {
        await tx.insert(t, [{ name: 'one' }, { name: 'two' }]);
        expect(await tx.count({ table: t })).toBe(2);
        await tx.update({ table: t, where: { op: 'eq', column: 'name', value: 'two' } }, { qty: 2 });
        return tx.select({ table: t, columns: ['name', 'qty'], order: [{ column: 'name', direction: 'asc' }] });
      });
      expect(result).toEqual([{ name: 'one', qty: null }, { name: 'two', qty: 2 }]);
      await expect(
        db.transaction(async (tx) => {
          await tx.insert(t, [{ name: 'three' }]);
          await tx.delete({ table: t, where: { op: 'eq', column: 'name', value: 'one' } });
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect((await db.select({ table: t, columns: ['name'], order: [{ column: 'name', direction: 'asc' }] })).map((r) => r['name'])).toEqual(['one', 'two']);
      const [first] = await db.select({ table: t, where: { op: 'eq', column: 'name', value: 'one' } });
      await expectCode(db.transaction((tx) => tx.insert(t, [{ name: 'dup-in-tx' }, { id: first!['id'], name: 'dup' }])), 'DS_CONFLICT');
      expect(await db.count({ table: t })).toBe(2);
    });

    it('feeds insert, update and delete events, rows larger than 8 KB whole', async () => {
      const t = await table();
      const log = new EventLog();
      const feed = await db.watch(log.push);
      try {
        const big = `${'x'.repeat(9000)}é${'y'.repeat(12_000)}`;
        const [row] = await db.insert(t, [{ name: 'small', qty: 1 }], true);
        const id = row!['id'];
        const [bigRow] = await db.insert(t, [{ name: big, qty: 2 }], true);
        await db.update({ table: t, where: { op: 'eq', column: 'id', value: id as number } }, { qty: 5 });
        await db.delete({ table: t, where: { op: 'eq', column: 'id', value: id as number } });
        await db.delete({ table: t, where: { op: 'eq', column: 'id', value: bigRow!['id'] as number } });
        const events = (await log.until(() => log.forTable(t).length >= 5)) && log.forTable(t);
        expect(events.map((e) => e.op)).toEqual(['INSERT', 'INSERT', 'UPDATE', 'DELETE', 'DELETE']);
        expect(events[0]!.row).toMatchObject({ id, name: 'small', qty: 1 });
        expect(events[1]!.row!['name']).toBe(big);
        expect(events[2]!.row).toMatchObject({ id, qty: 5 });
        expect(events[2]!.old).toMatchObject({ id });
        expect(events[3]!.old).toMatchObject({ id });
        expect(events[4]!.old!['name']).toBe(big);
      } finally {
        await feed.close();
      }
    });

    it('round-trips hostile values inert; the table survives', async () => {
      const t = await table();
      const hostile = [
        "'); DROP TABLE items; --",
        `"; DELETE FROM ${t}; --`,
        "it's \"quoted\" `back`",
        'back\\slash \\\\ \\x00 \\n',
        'héllo 世界 🎉 \u202e right-to-left',
        '%_*[]?',
        ...(traits.textAllowsNul ? ['nul\u0000byte'] : []),
      ];
      await db.insert(t, hostile.map((name) => ({ name, tags: { name } })));
      for (const name of hostile) {
        const rows = await db.select({ table: t, where: { op: 'eq', column: 'name', value: name } });
        expect(rows.map((r) => [r['name'], r['tags']])).toEqual([[name, { name }]]);
        expect(await db.count({ table: t, where: { op: 'like', column: 'name', value: name.replace(/[\\%_*]/g, '\\$&') } })).toBe(1);
      }
      expect(await db.count({ table: t })).toBe(hostile.length);
      if (!traits.textAllowsNul) await expectCode(db.insert(t, [{ name: 'nul\u0000byte' }]), 'DS_VALUE_INVALID');
      expect((await db.introspect(true)).tables.some((x) => x.name === t)).toBe(true);
    });

    it('rejects hostile identifiers before they reach the data source', async () => {
      const t = await table();
      await db.insert(t, [{ name: 'keep' }]);
      const badTables = [`${t}; DROP TABLE ${t}`, `${t}"`, `${t}\``, '', 'x\u0000y'];
      for (const bad of badTables) {
        await expectCode(db.select({ table: bad }), 'DS_TABLE_NOT_FOUND');
        await expectCode(db.insert(bad, [{ name: 'x' }]), 'DS_TABLE_NOT_FOUND');
        await expectCode(db.dropTable(bad), 'DS_TABLE_NOT_FOUND');
      }
      const badColumns = ['name; --', 'name"', '"name"', "name' OR '1'='1", 'na`me', '*'];
      for (const bad of badColumns) {
        await expectCode(db.select({ table: t, columns: [bad] }), 'DS_COLUMN_NOT_FOUND');
        await expectCode(db.select({ table: t, where: { op: 'eq', column: bad, value: 1 } }), 'DS_COLUMN_NOT_FOUND');
        await expectCode(db.select({ table: t, order: [{ column: bad, direction: 'asc' }] }), 'DS_COLUMN_NOT_FOUND');
        await expectCode(db.insert(t, [{ name: 'x', [bad]: 1 }]), 'DS_COLUMN_NOT_FOUND');
        await expectCode(db.update({ table: t }, { [bad]: 1 }), 'DS_COLUMN_NOT_FOUND');
        await expectCode(db.delete({ table: t, where: { op: 'is', column: bad, value: null } }), 'DS_COLUMN_NOT_FOUND');
      }
      await expectCode(db.createTable({ ...itemsTable('bad; name'), name: 'bad; name' }), 'DS_QUERY_INVALID');
      expect(await db.count({ table: t })).toBe(1);
    });

    it('maps write failures to DS_CONFLICT, DS_CONSTRAINT and DS_VALUE_INVALID', async () => {
      const { t, ids } = await seeded();
      await expectCode(db.insert(t, [{ id: ids[0]!, name: 'dup' }]), 'DS_CONFLICT');
      await expectCode(db.insert(t, [{ name: 'fresh' }, { id: ids[1]!, name: 'dup' }]), 'DS_CONFLICT');
      await expectCode(db.update({ table: t, where: { op: 'eq', column: 'id', value: ids[0]! } }, { id: ids[1]! }), 'DS_CONFLICT');
      await expectCode(db.insert(t, [{ name: null }]), 'DS_CONSTRAINT');
      await expectCode(db.insert(t, [{ qty: 1 }]), 'DS_CONSTRAINT');
      await expectCode(db.insert(t, [{ name: 'x', qty: 'many' }]), 'DS_VALUE_INVALID');
      await expectCode(db.insert(t, [{ name: 'x', ref: 'not-a-uuid' }]), 'DS_VALUE_INVALID');
      await expectCode(db.select({ table: t, where: { op: 'eq', column: 'qty', value: 'x' } }), 'DS_VALUE_INVALID');
      await expectCode(db.select({ table: t, where: { op: 'like', column: 'qty', value: '1%' } }), 'DS_QUERY_INVALID');
      expect(await db.count({ table: t })).toBe(5);
    });

    it('dumps and restores into a fresh table set and into another backend with equal results', async () => {
      const { t } = await seeded();
      const second = uniqueName('composite');
      await db.createTable({ name: second, primaryKey: ['a', 'b'], columns: [col('a', 'text', false), col('b', 'integer', false), col('v', 'json')] });
      created.push(second);
      await db.insert(second, Array.from({ length: 1203 }, (_, i) => ({ a: `k${i % 7}`, b: i, v: { i } })));
      const chunks = await collect(db.dump());
            const ours = chunks.filter((c) => !isNativeOnly(c) && (chunkTable(c) === t || chunkTable(c) === second));
      // Rows travel as pages of rows, or as COPY text (Postgres) that counts its lines.
      expect(ours.reduce((n, c) => n + (c.kind === 'rows' ? c.rows.length : c.kind === 'copy' ? c.rows : 0), 0)).toBe(1208);

      const fresh = await makeAdapter();
      const other = createAdapter({ kind: 'sqlite', url: ':memory:' });
      await other.connect();
      try {
        for (const target of [fresh.adapter, other]) {
          await target.restore(replay(ours));
          for (const [tableName, order] of [[t, 'id'], [second, 'b']] as const) {
            const query = { table: tableName, order: [{ column: order, direction: 'asc' as const }] };
            expect(await target.select(query)).toEqual(await db.select(query));
            const where: Filter = { op: 'or', filters: [{ op: 'like', column: tableName === t ? 'name' : 'a', value: '%e%' }, { op: 'gt', column: order, value: 1100 }] };
            expect(await target.count({ table: tableName, where })).toBe(await db.count({ table: tableName, where }));
          }
          const [added] = await target.insert(t, [{ name: 'after restore' }], true);
          expect(added!['id']).toBeGreaterThan(0);
        }
      } finally {
        await other.close();
        await fresh.cleanup();
      }
    });
  });
}
