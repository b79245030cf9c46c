import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapter } from '../../adapters/index.js';
import type { Adapter } from '../../adapters/types.js';
import { MoboError } from '../../runtime/errors.js';
import { mysqlQuery, pgQuery } from '../support/sql.js';
import { waitFor } from '../support/wait.js';
import { uniqueName } from './helpers.js';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** The code a write failed with (or 'ok'). */
const codeOf = (write: Promise<unknown>): Promise<string> => write.then(() => 'ok', (err: unknown) => (err instanceof MoboError ? err.code : `other: ${String(err)}`));

/**
 * A write blocked on a row lock held by another client, and its connection killed on the
 * server while it waits: what the write answers says whether it may have been applied.
 */
interface Backend {
  name: string;
  setUp(): Promise<{ adapter: Adapter; table: string; tearDown(): Promise<void> }>;
  /** Holds a lock on id 1 in another client's open transaction until release(). */
  hold(table: string): Promise<{ release(): Promise<void> }>;
  /** Kills every connection of the adapter that waits on a lock; how many it killed. */
  killWaiting(table: string): Promise<number>;
}

const postgres: Backend = {
  name: 'Postgres',
  async setUp() {
    const schema = uniqueName('mobo_outcome');
    await pgQuery(PG_URL, `CREATE SCHEMA "${schema}"`);
    await pgQuery(PG_URL, `CREATE TABLE "${schema}".t (id bigint PRIMARY KEY, code text NOT NULL)`);
    await pgQuery(PG_URL, `INSERT INTO "${schema}".t VALUES (1, 'one')`);
    // Connections of its own (named by its schema), so the test kills only this adapter's.
    const adapter = createAdapter({ kind: 'postgres', url: `${PG_URL}?application_name=${schema}`, namespace: schema, pool: { max: 2 } });
    await adapter.connect();
    postgres.killWaiting = async () =>
      (await pgQuery(PG_URL, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [schema])).length;
    postgres.hold = async () => {
      const other = new pg.Client({ connectionString: PG_URL });
      await other.connect();
      await other.query('BEGIN');
      await other.query(`SELECT * FROM "${schema}".t WHERE id = 1 FOR UPDATE`);
      await other.query(`INSERT INTO "${schema}".t VALUES (2, 'held')`);
      return { release: async () => void (await other.query('ROLLBACK'), await other.end()) };
    };
    return { adapter, table: 't', tearDown: async () => void (await adapter.close(), await pgQuery(PG_URL, `DROP SCHEMA "${schema}" CASCADE`)) };
  },
  hold: () => Promise.reject(new Error('set up first')),
  killWaiting: () => Promise.reject(new Error('set up first')),
};

const mariadb: Backend = {
  name: 'MariaDB',
  async setUp() {
    const db = uniqueName('mobo_outcome');
    await mysqlQuery(MYSQL_URL, `CREATE DATABASE \`${db}\``);
    await mysqlQuery(MYSQL_URL, `CREATE TABLE \`${db}\`.t (id bigint PRIMARY KEY, code varchar(20) NOT NULL)`);
    await mysqlQuery(MYSQL_URL, `INSERT INTO \`${db}\`.t VALUES (1, 'one')`);
    const adapter = createAdapter({ kind: 'mysql', url: MYSQL_URL, namespace: db, pool: { max: 2 } });
    await adapter.connect();
    mariadb.killWaiting = async () => {
      const waiting = await mysqlQuery<{ id: number }>(
        MYSQL_URL,
        `SELECT p.ID AS id FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id WHERE t.trx_state = 'LOCK WAIT' AND p.DB = '${db}'`,
      );
      for (const { id } of waiting) await mysqlQuery(MYSQL_URL, `KILL CONNECTION ${Number(id)}`).catch(() => undefined);
      return waiting.length;
    };
    mariadb.hold = async () => {
      const other = await mysql.createConnection(MYSQL_URL);
      await other.query('START TRANSACTION');
      await other.query(`SELECT * FROM \`${db}\`.t WHERE id = 1 FOR UPDATE`);
      await other.query(`INSERT INTO \`${db}\`.t VALUES (2, 'held')`);
      return { release: async () => void (await other.query('ROLLBACK'), await other.end()) };
    };
    return { adapter, table: 't', tearDown: async () => void (await adapter.close(), await mysqlQuery(MYSQL_URL, `DROP DATABASE \`${db}\``)) };
  },
  hold: () => Promise.reject(new Error('set up first')),
  killWaiting: () => Promise.reject(new Error('set up first')),
};

describe.each([postgres, mariadb])('a write whose connection is killed under it ($name)', (backend) => {
  let setup: Awaited<ReturnType<Backend['setUp']>>;
  beforeAll(async () => {
    setup = await backend.setUp();
  });
  afterAll(() => setup.tearDown());

  /** Kills the write's connection each time it waits on the lock, until the write answers. */
  const killUntilAnswered = async (write: Promise<unknown>): Promise<string> => {
    let answered: string | undefined;
    void codeOf(write).then((code) => (answered = code));
    return waitFor(async () => {
      if (answered === undefined) await backend.killWaiting(setup.table);
      return answered;
    }, 'the write to answer', 20_000);
  };

  it('answers DS_OUTCOME_UNKNOWN for an autocommit statement: the server may have applied it', async () => {
    // Without returned rows an insert is one autocommit statement on both backends.
    const lock = await backend.hold(setup.table);
    try {
      expect(await killUntilAnswered(setup.adapter.insert(setup.table, [{ id: 2, code: 'mine' }], false))).toBe('DS_OUTCOME_UNKNOWN');
    } finally {
      await lock.release();
    }
  });

  it('answers DS_UNAVAILABLE for a transaction cut before its COMMIT: nothing of it was applied', async () => {
    const lock = await backend.hold(setup.table);
    try {
      // Changing the key makes an update lock the rows first (SELECT … FOR UPDATE) in a transaction.
      expect(await killUntilAnswered(setup.adapter.update({ table: setup.table, where: { op: 'eq', column: 'id', value: 1 } }, { id: 10, code: 'moved' }, true))).toBe('DS_UNAVAILABLE');
    } finally {
      await lock.release();
    }
    expect(await setup.adapter.select({ table: setup.table, where: { op: 'eq', column: 'id', value: 10 } })).toEqual([]);
  });

  it('reads again on a fresh connection afterwards', async () => {
    expect(await setup.adapter.select({ table: setup.table, where: { op: 'eq', column: 'id', value: 1 } })).toEqual([{ id: 1, code: 'one' }]);
  });
});
