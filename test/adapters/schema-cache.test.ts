import { describe, expect, it } from 'vitest';
import { SchemaCache } from '../../adapters/schema-cache.js';
import type { SchemaInfo } from '../../adapters/types.js';

const schemaWith = (...names: string[]): SchemaInfo => ({ tables: names.map((name) => ({ name, columns: [], primaryKey: [] })) }) as unknown as SchemaInfo;

describe('SchemaCache', () => {
  it('keeps what a newer load found when an older, slower load finishes after it', async () => {
    const pending: Array<(s: SchemaInfo) => void> = [];
    const cache = new SchemaCache(() => new Promise<SchemaInfo>((resolve) => pending.push(resolve)));

    const stale = cache.get(); // began before the DDL
    cache.invalidate(); // the DDL
    const fresh = cache.get();
    pending[1]!(schemaWith('before', 'created'));
    await fresh;
    pending[0]!(schemaWith('before'));
    await stale;

    expect((await cache.find('created'))?.name).toBe('created');
    expect(pending).toHaveLength(2); // no extra reload was needed to find it
  });
});

describe('SchemaCache, a lookup awaiting a load that a newer DDL superseded', () => {
  it('still answers from the load it awaited (a restore inserting into a table it just created)', async () => {
    const pending: Array<(s: SchemaInfo) => void> = [];
    const cache = new SchemaCache(() => new Promise<SchemaInfo>((resolve) => pending.push(resolve)));
    const lookup = cache.find('a'); // began after table a was created
    await Promise.resolve();
    cache.invalidate(); // table b is created while that load is out
    pending[0]!(schemaWith('a'));
    expect((await lookup)?.name).toBe('a');
  });
});
