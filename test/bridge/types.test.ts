import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import type { ColumnInfo, Row } from '../../adapters/types.js';
import { tempDir } from '../support/cli.js';
import { startTestNode } from '../support/node.js';
import { availableSources } from '../support/sources.js';
import { mysqlQuery, pgQuery, sqliteExec } from '../support/sql.js';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const KINDS = ['sqlite', 'postgres', 'mysql'] as const;
type Kind = (typeof KINDS)[number];

/** The same table as each backend's users write it by hand: the declared types carry the meaning. */
const NATIVE: Record<Kind, (name: string) => string> = {
  sqlite: (t) => `CREATE TABLE "${t}" (id INTEGER PRIMARY KEY, title TEXT NOT NULL, done BOOLEAN NOT NULL DEFAULT 0, created_at TIMESTAMP, meta JSON, price DECIMAL(10,2), payload BLOB)`,
  postgres: (t) => `CREATE TABLE "${t}" (id bigserial PRIMARY KEY, title text NOT NULL, done boolean NOT NULL DEFAULT false, created_at timestamptz, meta jsonb, price numeric(10,2), payload bytea)`,
  mysql: (t) => `CREATE TABLE \`${t}\` (id bigint AUTO_INCREMENT PRIMARY KEY, title varchar(200) NOT NULL, done boolean NOT NULL DEFAULT false, created_at datetime(6), meta json, price decimal(10,2), payload longblob)`,
};

const ROWS: Row[] = [
  { id: 1, title: 'ünï "quoted", ok', done: true, created_at: '2024-02-29T12:34:56.789Z', meta: { tags: ['a', 'b'], n: 1, nested: { x: null } }, price: 1234.56, payload: Buffer.from([0, 1, 2, 254, 255]) },
  { id: 2, title: 'second', done: false, created_at: '1999-12-31T23:59:59.000Z', meta: [1, 'two', false], price: 0.05, payload: Buffer.alloc(0) },
  { id: 3, title: 'nulls', done: false, created_at: null, meta: null, price: null, payload: null },
];

const EXPECTED_TYPES: Record<string, ColumnInfo['type']> = { id: 'integer', title: 'text', done: 'boolean', created_at: 'timestamp', meta: 'json', price: 'float', payload: 'bytes' };

describe('MagBridge keeps meaning between every ordered pair of SQL backends', () => {
  const dir = tempDir('mobo-bridge-');
  const suffix = Math.random().toString(36).slice(2, 8);
  const sources = availableSources(dir);
  const created: Array<[Kind, string]> = [];
  let node: MoboNode;
  const data = (kind: Kind) => new DataClient(node.system.ref(sourceAddress('shop', kind)), { timeoutMs: 30_000 });
  const native = async (kind: Kind, sql: string): Promise<void> => {
    if (kind === 'sqlite') await sqliteExec(sources.sqlite!.url, sql);
    else if (kind === 'postgres') await pgQuery(PG_URL, sql);
    else await mysqlQuery(MYSQL_URL, sql);
  };
  const copy = async (from: Kind, table: string, to: Kind, toTable: string) => {
    const job = await node.system.ref(node.address('bridge')).ask<{ id: string }>('bridge.copy', { project: 'shop', from, table, to, toTable, batchSize: 2 });
    const done = await node.system.events.once<{ id: string; state: string; result?: { warnings: string[] }; error?: unknown }>('job.bridge.>', (e) => e.payload.id === job.id && e.payload.state !== 'running');
    return done.payload;
  };
  const byId = async (kind: Kind, table: string) => data(kind).select({ table, order: [{ column: 'id', direction: 'asc' }] });

  beforeAll(async () => {
    node = await startTestNode({}, dir);
    await node.system.ref(node.address('catalog')).ask('project.create', { project: 'shop' });
    for (const kind of KINDS) {
      const table = `src_${kind}_${suffix}`;
      await native(kind, NATIVE[kind](table));
      created.push([kind, table]);
      const s = sources[kind]!;
      await node.system.ref(node.address('catalog')).ask('source.add', { project: 'shop', name: kind, kind: s.kind, url: s.url }, { timeoutMs: 15_000 });
      await data(kind).schema(true);
      await data(kind).insert(table, ROWS, false);
    }
  }, 60_000);
  afterAll(async () => {
    for (const [kind, table] of created) await data(kind).dropTable(table).catch(() => undefined);
    await node?.stop();
  });

  it('reads the hand-written tables with their meaning on every backend', async () => {
    for (const kind of KINDS) {
      const table = (await data(kind).schema(true)).tables.find((t) => t.name === `src_${kind}_${suffix}`)!;
      expect(Object.fromEntries(table.columns.map((c) => [c.name, c.type])), kind).toEqual(EXPECTED_TYPES);
      expect(await byId(kind, table.name), kind).toEqual(ROWS);
    }
  });

  for (const from of KINDS) {
    for (const to of KINDS) {
      if (from === to) continue;
      it(`${from} → ${to}: into a new table with portable types, and into a hand-written one`, async () => {
        const fresh = `new_${from}_${to}_${suffix}`;
        created.push([to, fresh]);
        const done = await copy(from, `src_${from}_${suffix}`, to, fresh);
        expect(done, JSON.stringify(done)).toMatchObject({ state: 'done' });
        const table = (await data(to).schema(true)).tables.find((t) => t.name === fresh)!;
        expect(Object.fromEntries(table.columns.map((c) => [c.name, c.type]))).toEqual(EXPECTED_TYPES);
        expect(table.columns.find((c) => c.name === 'price')!.nativeType.replace(/\s/g, '').toLowerCase()).toMatch(/^(numeric|decimal)\(10,2\)$/);
        expect(await byId(to, fresh)).toEqual(ROWS);

        const existing = `old_${from}_${to}_${suffix}`;
        await native(to, NATIVE[to](existing));
        created.push([to, existing]);
        const again = await copy(from, `src_${from}_${suffix}`, to, existing);
        expect(again, JSON.stringify(again)).toMatchObject({ state: 'done' });
        expect(await byId(to, existing)).toEqual(ROWS);
        expect(again.result?.warnings).toEqual([expect.stringContaining(`no row rule for table ${existing}`)]);
      });
    }
  }

  it('copies SQLite columns declared INTEGER (0/1) and TEXT (CURRENT_TIMESTAMP) into Postgres boolean and timestamptz columns', async () => {
    const table = `loose_${suffix}`;
    await native('sqlite', `CREATE TABLE "${table}" (id INTEGER PRIMARY KEY, title TEXT, done INTEGER NOT NULL DEFAULT 0, created_at TEXT DEFAULT CURRENT_TIMESTAMP, meta TEXT)`);
    await native('sqlite', `INSERT INTO "${table}" (id, title, done, created_at, meta) VALUES (1, 'a', 1, '2024-05-06 07:08:09', '{"k":[1]}'), (2, 'b', 0, '2024-05-06T07:08:09.5Z', NULL)`);
    created.push(['sqlite', table]);
    await native('postgres', `CREATE TABLE "${table}" (id bigint PRIMARY KEY, title text, done boolean NOT NULL, created_at timestamptz, meta jsonb)`);
    created.push(['postgres', table]);
    await data('sqlite').schema(true);
    const done = await copy('sqlite', table, 'postgres', table);
    expect(done, JSON.stringify(done)).toMatchObject({ state: 'done' });
    expect(await byId('postgres', table)).toEqual([
      { id: 1, title: 'a', done: true, created_at: '2024-05-06T07:08:09.000Z', meta: { k: [1] } },
      { id: 2, title: 'b', done: false, created_at: '2024-05-06T07:08:09.500Z', meta: null },
    ]);
  });

  it('refuses a value that does not convert, naming the column, before writing its batch', async () => {
    const table = `odd_${suffix}`;
    await native('sqlite', `CREATE TABLE "${table}" (id INTEGER PRIMARY KEY, done INTEGER)`);
    await native('sqlite', `INSERT INTO "${table}" VALUES (1, 2)`);
    created.push(['sqlite', table]);
    await native('postgres', `CREATE TABLE "${table}" (id bigint PRIMARY KEY, done boolean)`);
    created.push(['postgres', table]);
    await data('sqlite').schema(true);
    const failed = await copy('sqlite', table, 'postgres', table);
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'DS_VALUE_INVALID', details: { column: 'done', from: 'integer', to: 'boolean' } } });
    expect(await byId('postgres', table)).toEqual([]);
  });
});
