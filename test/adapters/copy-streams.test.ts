/**
 * CopyStreams (a staged restore's COPYs, one per table, several at once): every chunk reaches a
 * COPY of its table, each COPY gets its chunks in order, a table-by-table archive gets one COPY
 * per table, and a failure on either side stops everything with that failure. The COPY
 * here is a reader that records what it is given; the Postgres path runs in
 * test/backup/streamed-verify.test.ts and the adapter conformance suites.
 */
import { describe, expect, it } from 'vitest';
import { CopyStreams } from '../../adapters/copy-streams.js';

/** A COPY that reads its chunks one event-loop turn apart, recording what each COPY got. */
function recorder(failOn?: string) {
  const copies: Array<{ table: string; chunks: string[] }> = [];
  const copy = async (table: string, _columns: readonly string[], data: AsyncIterable<string>): Promise<number> => {
    const mine = { table, chunks: [] as string[] };
    copies.push(mine);
    for await (const chunk of data) {
      await new Promise((r) => setImmediate(r));
      if (chunk === failOn) throw new Error(`copy of ${table} failed`);
      mine.chunks.push(chunk);
    }
    return mine.chunks.length;
  };
  const byTable = () => {
    const out: Record<string, string[]> = {};
    for (const c of copies) out[c.table] = [...(out[c.table] ?? []), ...c.chunks].sort();
    return out;
  };
  return { copy, copies, byTable };
}

describe('CopyStreams', () => {
  it('routes interleaved chunks of three tables to COPYs of their table, each in order', async () => {
    const r = recorder();
    const streams = new CopyStreams(r.copy, 2);
    const order = ['a1', 'b1', 'a2', 'b2', 'c1', 'a3', 'c2', 'b3', 'c3'];
    for (const chunk of order) await streams.push(chunk[0]!, ['x'], chunk);
    await streams.finish();
    expect(r.byTable()).toEqual({ a: ['a1', 'a2', 'a3'], b: ['b1', 'b2', 'b3'], c: ['c1', 'c2', 'c3'] });
    for (const c of r.copies) expect(c.chunks).toEqual([...c.chunks].sort());
    // The third table's first chunk ended one COPY: a later chunk of that table opened another.
    expect(r.copies.length).toBeGreaterThan(3);
  });

  it('gives a table-by-table sequence one COPY per table', async () => {
    const r = recorder();
    const streams = new CopyStreams(r.copy, 2);
    for (const chunk of ['a1', 'a2', 'b1', 'b2', 'c1']) await streams.push(chunk[0]!, ['x'], chunk);
    await streams.finish();
    expect(r.copies).toEqual([
      { table: 'a', chunks: ['a1', 'a2'] },
      { table: 'b', chunks: ['b1', 'b2'] },
      { table: 'c', chunks: ['c1'] },
    ]);
  });

  it('reports a COPY that fails: the next push or finish throws its error', async () => {
    const r = recorder('b2');
    const streams = new CopyStreams(r.copy, 2);
    const pushing = (async () => {
      for (const chunk of ['a1', 'b1', 'a2', 'b2', 'a3', 'b3', 'a4', 'b4', 'a5', 'b5']) await streams.push(chunk[0]!, ['x'], chunk);
      await streams.finish();
    })();
    await expect(pushing).rejects.toThrow('copy of b failed');
    await streams.abort(new Error('stop'));
  });

  it('aborts the open COPYs with the reader failure, so none commits what it has', async () => {
    const ends: string[] = [];
    const copy = async (table: string, _c: readonly string[], data: AsyncIterable<string>) => {
      try {
        for await (const _ of data) void _;
        ends.push(`${table} ended`);
      } catch (err) {
        ends.push(`${table} ${(err as Error).message}`);
        throw err;
      }
    };
    const streams = new CopyStreams(copy, 2);
    await streams.push('a', ['x'], 'a1');
    await streams.push('b', ['x'], 'b1');
    await streams.abort(new Error('archive damaged'));
    expect(ends.sort()).toEqual(['a archive damaged', 'b archive damaged']);
  });
});
