import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapter } from '../../adapters/index.js';
import type { Adapter, Row, SourceConfig } from '../../adapters/types.js';
import type { SqlDriver, SqlRunner } from '../../adapters/sql/driver.js';
import { GroupCommit } from '../../adapters/sql/group-commit.js';
import { MoboError } from '../../runtime/errors.js';
import { mysqlQuery, pgQuery } from '../support/sql.js';
import { EventLog, uniqueName } from './helpers.js';

/** Settles every promise and names each outcome: the row's code on success, the error code on failure. */
async function outcomes(writes: Array<Promise<Row[]>>): Promise<string[]> {
  const settled = await Promise.allSettled(writes);
  return settled.map((s) => (s.status === 'fulfilled' ? `ok:${String(s.value[0]?.['code'])}` : s.reason instanceof MoboError ? s.reason.code : 'other'));
}

/** A namespace of a backend's own, reached by plain SQL beside the adapter. */
interface Backend {
  source(namespace: string): SourceConfig;
  setUp(namespace: string, tables: string[]): Promise<void>;
  codes(namespace: string, table: string): Promise<string[]>;
  /** How many transactions wrote the table's rows, where the backend can tell. */
  writers?(namespace: string, table: string): Promise<number>;
  tearDown(namespace: string): Promise<void>;
}

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';

const onPostgres = <T>(sql: string): Promise<T[]> => pgQuery<T>(PG_URL, sql);
const onMysql = <T>(sql: string): Promise<T[]> => mysqlQuery<T>(MYSQL_URL, sql);

const postgres: Backend = {
  source: (namespace) => ({ kind: 'postgres', url: PG_URL, namespace, pool: { max: 4 } }),
  async setUp(namespace, tables) {
    await onPostgres(`CREATE SCHEMA "${namespace}"`);
    for (const t of tables) await onPostgres(`CREATE TABLE "${namespace}"."${t}" (id bigserial PRIMARY KEY, code varchar(3) NOT NULL, qty integer CHECK (qty >= 0))`);
  },
  codes: async (namespace, table) => (await onPostgres<{ code: string }>(`SELECT code FROM "${namespace}"."${table}" ORDER BY code`)).map((r) => r.code),
  writers: async (namespace, table) => (await onPostgres<{ n: number }>(`SELECT count(DISTINCT xmin::text)::int AS n FROM "${namespace}"."${table}"`))[0]!.n,
  tearDown: async (namespace) => void (await onPostgres(`DROP SCHEMA "${namespace}" CASCADE`)),
};

const mariadb: Backend = {
  source: (namespace) => ({ kind: 'mysql', url: MYSQL_URL, namespace, pool: { max: 4 } }),
  async setUp(namespace, tables) {
    await onMysql(`CREATE DATABASE \`${namespace}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    for (const t of tables) await onMysql(`CREATE TABLE \`${namespace}\`.\`${t}\` (id bigint AUTO_INCREMENT PRIMARY KEY, code varchar(3) NOT NULL, qty integer CHECK (qty >= 0))`);
  },
  codes: async (namespace, table) => (await onMysql<{ code: string }>(`SELECT code FROM \`${namespace}\`.\`${table}\` ORDER BY code`)).map((r) => r.code),
  tearDown: async (namespace) => void (await onMysql(`DROP DATABASE \`${namespace}\``)),
};

groupCommitSuite('Postgres', postgres);
groupCommitSuite('MariaDB', mariadb);

function groupCommitSuite(name: string, backend: Backend): void {
  describe(`concurrent inserts, in shared transactions where the backend groups them (${name})`, () => {
    const schema = uniqueName('mobo_gc');
    // Created before the adapter first reads the schema (a miss reloads it only so often).
    const tables = Array.from({ length: 6 }, () => uniqueName('t'));
    let adapter: Adapter;
    let table: string;

    beforeAll(async () => {
      await backend.setUp(schema, tables);
      adapter = createAdapter(backend.source(schema));
      await adapter.connect();
    });

    afterAll(async () => {
      await adapter.close();
      await backend.tearDown(schema);
    });

    const freshTable = (): void => {
      table = tables.pop()!;
    };

    const codesInTable = (): Promise<string[]> => backend.codes(schema, table);

    it('gives each request its own rows (Postgres: and commits many requests in one transaction)', async () => {
      freshTable();
      const codes = Array.from({ length: 40 }, (_, i) => `c${String(i).padStart(2, '0')}`);
      const results = await Promise.all(codes.map((code) => adapter.insert(table, [{ code, qty: 1 }], true)));
      expect(results.map((rows) => rows.map((r) => r['code']))).toEqual(codes.map((c) => [c]));
      expect(new Set(results.map((rows) => rows[0]!['id'])).size).toBe(codes.length);
      expect(await codesInTable()).toEqual(codes);
      if (backend.writers) expect(await backend.writers(schema, table)).toBeLessThan(codes.length);
    });

    it('answers a burst larger than a group (several groups, two in flight at most) each with its own row', async () => {
      freshTable();
      const codes = Array.from({ length: 300 }, (_, i) => i.toString(36).padStart(2, '0'));
      const results = await Promise.all(codes.map((code) => adapter.insert(table, [{ code }], true)));
      expect(results.map((rows) => rows[0]!['code'])).toEqual(codes);
      expect((await codesInTable()).length).toBe(codes.length);
    });

    it('answers requests of several rows each with their own rows, in the order they sent them', async () => {
      freshTable();
      const requests = Array.from({ length: 30 }, (_, i) => Array.from({ length: 1 + (i % 3) }, (_, j) => ({ code: `${String.fromCharCode(97 + (i % 26))}${Math.floor(i / 26)}${j}` })));
      const results = await Promise.all(requests.map((rows) => adapter.insert(table, rows, true)));
      expect(results.map((rows) => rows.map((r) => r['code']))).toEqual(requests.map((rows) => rows.map((r) => r.code)));
      const ids = results.flat().map((r) => Number(r['id']));
      expect(new Set(ids).size).toBe(ids.length);
      expect((await codesInTable()).length).toBe(ids.length);
    });

    it('answers a value error to its own request and commits the others of its group', async () => {
      freshTable();
      const log = new EventLog();
      const feed = await adapter.watch(log.push);
      try {
        const codes = ['a1', 'a2', 'toolong', 'a3', 'a4'];
        expect(await outcomes(codes.map((code) => adapter.insert(table, [{ code }], true)))).toEqual(['ok:a1', 'ok:a2', 'DS_VALUE_INVALID', 'ok:a3', 'ok:a4']);
        expect(await codesInTable()).toEqual(['a1', 'a2', 'a3', 'a4']);
        const inserted = await log.until((events) => events.filter((e) => e.table === table).length >= 4);
        expect(inserted.filter((e) => e.table === table).map((e) => e.row?.['code']).sort()).toEqual(['a1', 'a2', 'a3', 'a4']);
      } finally {
        await feed.close();
      }
    });

    it('runs a group again one request at a time after a conflict or constraint, so each gets its answer alone', async () => {
      freshTable();
      const writes = [
        adapter.insert(table, [{ id: 700_000, code: 'b1' }], true),
        adapter.insert(table, [{ code: 'b2', qty: -1 }], true), // CHECK violation
        adapter.insert(table, [{ code: 'b3' }], true),
        adapter.insert(table, [{ id: 700_000, code: 'b4' }], true), // same key as b1
        adapter.insert(table, [{ code: 'b5' }, { code: 'b6' }], true),
      ];
      const result = await outcomes(writes);
      expect(result[1]).toBe('DS_CONSTRAINT');
      expect(result[2]).toBe('ok:b3');
      expect(result[4]).toBe('ok:b5');
      // b1 and b4 race for one id (far above what the sequence hands out, even to rolled-back
      // attempts): concurrency guarantees that exactly one wins, not which (MariaDB runs them on
      // two connections at once; a Postgres group may order them either way).
      const pair = [result[0], result[3]];
      expect(pair.filter((r) => r === 'DS_CONFLICT')).toHaveLength(1);
      const winner = pair[0] === 'DS_CONFLICT' ? 'b4' : 'b1';
      expect(pair).toContain(`ok:${winner}`);
      expect(await codesInTable()).toEqual([winner, 'b3', 'b5', 'b6'].sort());
    });

    it('keeps a request of several rows all or nothing inside a group', async () => {
      freshTable();
      const result = await outcomes([
        adapter.insert(table, [{ code: 'd1' }], true),
        adapter.insert(table, [{ code: 'd2' }, { code: 'd3', qty: -5 }], true),
        adapter.insert(table, [{ code: 'd4' }], true),
      ]);
      expect(result).toEqual(['ok:d1', 'DS_CONSTRAINT', 'ok:d4']);
      expect(await codesInTable()).toEqual(['d1', 'd4']);
    });
  });
}

describe('group commit: keys not drawn from a rising sequence (Postgres)', () => {
  const schema = uniqueName('mobo_gc');
  let adapter: Adapter;

  beforeAll(async () => {
    await onPostgres(`CREATE SCHEMA "${schema}"`);
    await onPostgres(`CREATE TABLE "${schema}".dice (id integer PRIMARY KEY DEFAULT (floor(random() * 2000000000))::integer, code text NOT NULL)`);
    await onPostgres(`CREATE TABLE "${schema}".countdown (id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000000 INCREMENT BY -1 MAXVALUE 1000000) PRIMARY KEY, code text NOT NULL)`);
    adapter = createAdapter(postgres.source(schema));
    await adapter.connect();
  });

  afterAll(async () => {
    await adapter.close();
    await postgres.tearDown(schema);
  });

  it.each(['dice', 'countdown'])('never merges inserts into %s into one INSERT, so each request still gets its own row', async (table) => {
    const codes = Array.from({ length: 30 }, (_, i) => `r${i}`);
    const results = await Promise.all(codes.map((code) => adapter.insert(table, [{ code }], true)));
    expect(results.map((rows) => rows[0]!['code'])).toEqual(codes);
  });
});

describe('group commit: a lock held by another client (Postgres)', () => {
  const schema = uniqueName('mobo_gc');
  let adapter: Adapter;
  const other = new pg.Client({ connectionString: PG_URL });

  beforeAll(async () => {
    await postgres.setUp(schema, ['locked']);
    adapter = createAdapter(postgres.source(schema));
    await adapter.connect();
    await other.connect();
  });

  afterAll(async () => {
    await other.end();
    await adapter.close();
    await postgres.tearDown(schema);
  });

  it('does not hold the other inserts of its group while one waits on the lock', async () => {
    await other.query('BEGIN');
    await other.query(`INSERT INTO "${schema}".locked (id, code) VALUES (500, 'hld')`);
    const blocked = adapter.insert('locked', [{ id: 500, code: 'me' }], true);
    const others = Array.from({ length: 10 }, (_, i) => adapter.insert('locked', [{ code: `o${i}` }], true));
    // Without the group's lock timeout these would wait for the other client's transaction.
    expect((await Promise.all(others)).map((rows) => rows[0]!['code'])).toEqual(Array.from({ length: 10 }, (_, i) => `o${i}`));
    await other.query('ROLLBACK');
    expect((await blocked)[0]).toMatchObject({ id: 500, code: 'me' });
  });
});

describe('group commit: a connection lost during COMMIT (a fake driver: the moment cannot be produced on demand)', () => {
  it('fails every job as DS_OUTCOME_UNKNOWN ("may or may not have been applied") and never runs them twice', async () => {
    let runs = 0;
    const runner: SqlRunner = { inTransaction: true, run: async () => ({ rows: [], affected: 1 }) };
    const driver = {
      runner: { ...runner, inTransaction: false },
      transaction: async <T>(fn: (r: SqlRunner) => Promise<T>): Promise<T> => {
        await fn(runner);
        throw new MoboError('DS_UNAVAILABLE', 'connection reset');
      },
    } as unknown as SqlDriver;
    const group = new GroupCommit(driver);
    const jobs = Array.from({ length: 5 }, () => group.run(async () => ++runs, true));
    const settled = await Promise.allSettled(jobs);
    expect(settled.map((s) => (s.status === 'rejected' ? (s.reason as MoboError).code : 'ok'))).toEqual(Array(5).fill('DS_OUTCOME_UNKNOWN'));
    expect(runs).toBe(5);
  });
});
