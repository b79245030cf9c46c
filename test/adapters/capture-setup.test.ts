/**
 * The server side of logical capture when several nodes set it up at once (cluster mode: every
 * node's feed runs ensureCapture for the same source, and the reader's holder takes the slot
 * over): all of them succeed, and taking over never ends a node's backend that is still
 * creating the slot (it did, and that node fell back to triggers).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAdmin } from '../../adapters/postgres.js';
import { captureNames, dropCapture, ensureCapture, takeOverSlot } from '../../adapters/postgres-capture-setup.js';
import type { SqlRunner } from '../../adapters/sql/driver.js';
import type { TableInfo } from '../../adapters/types.js';
import { uniqueName } from './helpers.js';
import { pgQuery } from '../support/sql.js';
import { waitFor } from '../support/wait.js';

const URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A runner on one admin connection: the adapter's own error wrapping, so duplicates are recognised as in production. */
async function runnerOn(url: string): Promise<SqlRunner & { close(): Promise<void> }> {
  const admin = await openAdmin(url);
  return { inTransaction: false, run: async (s) => ({ rows: await admin.run(s.sql, s.params), affected: 0 }), close: () => admin.close() };
}

const table = (name: string): TableInfo => ({ name, columns: [], primaryKey: ['id'] });

describe('logical capture set up by several nodes at once', () => {
  const schema = uniqueName('mobo_cs');
  // Quotes, a dash and unicode: the names are quoted wherever they reach SQL.
  const tables = ['orders', 'order-items', 'Odd"Name', 'café'];

  beforeAll(async () => {
    await pgQuery(URL, `CREATE SCHEMA "${schema}"`);
    for (const t of tables) await pgQuery(URL, `CREATE TABLE "${schema}"."${t.replaceAll('"', '""')}" (id integer PRIMARY KEY)`);
  });
  afterAll(async () => {
    await pgQuery(URL, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  it('four concurrent ensureCapture runs all succeed: one publication with every table, one slot', async () => {
    const names = captureNames(uniqueName('test_cs'));
    const runners = await Promise.all([1, 2, 3, 4].map(() => runnerOn(URL)));
    try {
      await Promise.all(runners.map((r) => ensureCapture(r, names, schema, tables.map(table), true)));
      const published = await pgQuery(URL, 'SELECT tablename FROM pg_publication_tables WHERE pubname = $1 ORDER BY tablename', [names.publication]);
      expect(published.map((r) => r['tablename'])).toEqual([...tables].sort());
      expect(await pgQuery(URL, 'SELECT slot_name FROM pg_replication_slots WHERE slot_name = $1', [names.slot])).toHaveLength(1);
    } finally {
      await dropCapture(runners[0]!, names);
      await Promise.all(runners.map((r) => r.close()));
    }
  });

  it("taking over the slot leaves alone another node's backend that is still creating it", async () => {
    const names = captureNames(uniqueName('test_cs'));
    // An open transaction with an xid: the slot's creation waits for it to end (its initial snapshot).
    const holder = new pg.Client({ connectionString: URL });
    const creator = new pg.Client({ connectionString: URL });
    creator.on('error', () => undefined); // ended by a regression: the assertion below says so
    await holder.connect();
    await creator.connect();
    const runner = await runnerOn(URL);
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT txid_current()');
      const creatorPid = Number((await creator.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
      const created = creator.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [names.slot]);
      created.catch(() => undefined);
      await waitFor(async () => (await pgQuery(URL, 'SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active_pid = $2', [names.slot, creatorPid])).length === 1, 'the creating backend holds the slot');

      await takeOverSlot(runner, names);

      expect(await pgQuery(URL, 'SELECT pid FROM pg_stat_activity WHERE pid = $1', [creatorPid])).toHaveLength(1);
      await holder.query('COMMIT');
      await expect(created).resolves.toBeDefined();
    } finally {
      await holder.end().catch(() => undefined);
      await creator.end().catch(() => undefined);
      await dropCapture(runner, names);
      await runner.close();
    }
  });
});
