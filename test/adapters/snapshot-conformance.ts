/**
 * dump() reads every table as of one moment (the SQL backends: test/adapters/<kind>.test.ts).
 * A writer moves value between two tables, one transaction per transfer (debit row k, credit
 * row k: the pair always sums to 0), while a dump runs; between any two chunks the dump hands
 * out, at least one transfer commits. The dumped tables must add up: each pair, and the sums.
 * The same interleaving read page by page without the snapshot must not add up, which shows
 * the test can fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCopyText } from '../../adapters/copy-text.js';
import { dumpTables } from '../../adapters/dump.js';
import type { Adapter, ColumnInfo, DumpChunk, Row, TableInfo } from '../../adapters/types.js';
import type { OpenedAdapter } from './conformance.js';
import { uniqueName } from './helpers.js';

/** Accounts per table: three pages of the dump's 1,000-row batches. */
const ACCOUNTS = 2_500;
/** An upper bound on the writer; a dump of these tables takes a few dozen. */
const MAX_TRANSFERS = 5_000;

const column = (name: string): ColumnInfo => ({ name, type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false });

/** Moves value from debit to credit, one transaction and one account per transfer, counting commits. */
class Transfers {
  committed = 0;
  private readonly moved: number[] = new Array<number>(ACCOUNTS).fill(0);
  private stopped = false;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly db: Adapter,
    readonly debit: string,
    readonly credit: string,
  ) {}

  async one(): Promise<void> {
    const id = this.committed % ACCOUNTS;
    const balance = ++this.moved[id]!;
    await this.db.transaction(async (tx) => {
      await tx.update({ table: this.debit, where: { op: 'eq', column: 'id', value: id } }, { balance: -balance });
      await tx.update({ table: this.credit, where: { op: 'eq', column: 'id', value: id } }, { balance });
    });
    this.committed++;
    this.wake();
  }

  /** Transfers one after the other until stop() or MAX_TRANSFERS. */
  async run(): Promise<void> {
    this.stopped = false;
    try {
      for (let i = 0; i < MAX_TRANSFERS && !this.stopped; i++) await this.one();
    } finally {
      this.stop();
    }
  }

  stop(): void {
    this.stopped = true;
    this.wake();
  }

  /** Resolves once one more transfer has committed than when called (or the writer stopped). */
  async next(): Promise<void> {
    const target = this.committed + 1;
    while (this.committed < target && !this.stopped) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

interface Balances {
  /** Balance per account id, per table. */
  debit: Map<number, number>;
  credit: Map<number, number>;
  chunks: number;
}

/** Reads `chunks` while `writer` keeps transferring, at least one commit between any two chunks. */
async function readWhileWriting(chunks: AsyncIterable<DumpChunk>, writer: Transfers): Promise<Balances> {
  const running = writer.run();
  const balances: Balances = { debit: new Map(), credit: new Map(), chunks: 0 };
  const tables = new Map<string, TableInfo>();
  try {
    for await (const chunk of chunks) {
      balances.chunks++;
      if (chunk.kind === 'table') tables.set(chunk.table.name, chunk.table);
      const side = chunk.kind !== 'rows' && chunk.kind !== 'copy' ? undefined : chunk.table === writer.debit ? balances.debit : chunk.table === writer.credit ? balances.credit : undefined;
      const rows: Row[] = chunk.kind === 'rows' ? chunk.rows : chunk.kind === 'copy' ? decodeCopyText(tables.get(chunk.table)!, chunk.columns, chunk.data) : [];
      if (side) for (const row of rows) side.set(Number(row['id']), Number(row['balance']));
      await writer.next();
    }
  } finally {
    writer.stop();
    await running;
  }
  return balances;
}

const sum = (balances: Map<number, number>): number => [...balances.values()].reduce((a, b) => a + b, 0);

export function snapshotConformance(name: string, makeAdapter: () => Promise<OpenedAdapter>): void {
  describe(`dump snapshot: ${name}`, () => {
    let opened: OpenedAdapter;
    let db: Adapter;
    let writer: Transfers;

    beforeAll(async () => {
      opened = await makeAdapter();
      db = opened.adapter;
      writer = new Transfers(db, uniqueName('debit'), uniqueName('credit'));
      for (const table of [writer.debit, writer.credit]) {
        await db.createTable({ name: table, primaryKey: ['id'], columns: [column('id'), column('balance')] });
        await db.insert(table, Array.from({ length: ACCOUNTS }, (_, id) => ({ id, balance: 0 })));
      }
    });
    afterAll(async () => {
      await opened?.cleanup();
    });

    it('dumps both sides of every transfer or neither while transfers commit during the dump', async () => {
      const before = writer.committed;
      const dumped = await readWhileWriting(db.dump(), writer);

      expect(dumped.debit.size).toBe(ACCOUNTS);
      expect(dumped.credit.size).toBe(ACCOUNTS);
      // Transfers went on during the dump (it blocks no writer), one at least between any two chunks.
      expect(writer.committed - before).toBeGreaterThanOrEqual(dumped.chunks);
      expect(sum(dumped.debit) + sum(dumped.credit)).toBe(0);
      const unpaired = [...dumped.debit].filter(([id, balance]) => dumped.credit.get(id) !== -balance);
      expect(unpaired).toEqual([]);
      // The snapshot is older than the tables now: the transfers after its start are not in it.
      const live = await db.select({ table: writer.credit });
      expect(sum(new Map(live.map((row) => [Number(row['id']), Number(row['balance'])])))).toBeGreaterThan(sum(dumped.credit));
    });

    it('without the snapshot (each page read on its own) the same interleaving does not add up', async () => {
      const before = writer.committed;
      const dumped = await readWhileWriting(dumpTables(db), writer);
      expect(dumped.debit.size).toBe(ACCOUNTS);
      expect(writer.committed - before).toBeGreaterThanOrEqual(dumped.chunks);
      expect(sum(dumped.debit) + sum(dumped.credit)).not.toBe(0);
    });

    it('ends the snapshot when the consumer stops early or fails, and gives its connection back', async () => {
      // More early stops than any pool holds connections: a leaked one would exhaust it.
      for (let i = 0; i < 12; i++) {
        for await (const chunk of db.dump()) {
          expect(chunk.kind).toBe('table');
          break;
        }
      }
      const failing = (async () => {
        for await (const _chunk of db.dump()) throw new Error('the consumer failed');
      })();
      await expect(failing).rejects.toThrow('the consumer failed');

      await writer.one();
      let rows = 0;
      for await (const chunk of db.dump()) rows += chunk.kind === 'rows' ? chunk.rows.length : chunk.kind === 'copy' ? chunk.rows : 0;
      expect(rows).toBeGreaterThanOrEqual(2 * ACCOUNTS);
    });
  });
}
