/**
 * What logical replication needs on the server, per source: a publication of the source's
 * tables and a replication slot (pgoutput), both named from the source's capture key, and
 * whether the server allows them at all (wal_level, the role's REPLICATION attribute, a free
 * slot). Tables join the publication when the source learns of them (created through the
 * adapter, or found by a schema refresh after psql made them), each with REPLICA IDENTITY FULL
 * first: UPDATE and DELETE then carry the whole old row, as the trigger path's do (channel
 * filters match on it), and a table without a primary key can still be updated once published.
 * The durable slot (cluster) is made here; embedded readers make a temporary one on their own
 * connection. A removed source's slot is dropped (a slot nobody reads holds WAL forever).
 */
import { createHash } from 'node:crypto';
import type { SqlRunner } from './sql/driver.js';
import { postgresDialect } from './sql/dialects.js';
import type { TableInfo } from './types.js';

export interface CaptureNames {
  slot: string;
  publication: string;
}

const quote = postgresDialect.quote;

/** Slot and publication names of a capture key: `mobo_cdc_<readable part>_<hash>`, at most 63 bytes, [a-z0-9_]. */
export function captureNames(key: string): CaptureNames {
  const readable = key.toLowerCase().replace(/[^a-z0-9_]+/g, '_').slice(0, 32);
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 12);
  const name = `mobo_cdc_${readable}_${hash}`;
  return { slot: name, publication: name };
}

/** Why logical replication cannot be used here, or undefined when it can. */
export async function logicalUnavailable(runner: SqlRunner, names: CaptureNames): Promise<string | undefined> {
  const { rows } = await runner.run({
    sql: `SELECT current_setting('wal_level') AS wal_level,
       (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user) AS may_replicate,
       current_setting('max_replication_slots')::int AS max_slots,
       (SELECT count(*)::int FROM pg_replication_slots) AS slots,
       EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1) AS has_slot`,
    params: [names.slot],
  });
  const r = rows[0] ?? {};
  if (r['wal_level'] !== 'logical') return `wal_level is ${String(r['wal_level'])}, not logical`;
  if (r['may_replicate'] !== true) return 'the role has no REPLICATION attribute';
  if (r['has_slot'] !== true && Number(r['slots']) >= Number(r['max_slots'])) return `every replication slot is in use (max_replication_slots ${String(r['max_slots'])})`;
  return undefined;
}

/** The publication (with `tables`) and, when `durable`, the slot, made if missing; safe to run on several nodes at once. */
export async function ensureCapture(runner: SqlRunner, names: CaptureNames, namespace: string, tables: readonly TableInfo[], durable: boolean): Promise<void> {
  const { rows } = await runner.run({ sql: 'SELECT 1 FROM pg_publication WHERE pubname = $1', params: [names.publication] });
  if (rows.length === 0) await ignoreDuplicate(runner.run({ sql: `CREATE PUBLICATION ${quote(names.publication)}`, params: [] }));
  await publishTables(runner, names, namespace, tables);
  if (!durable) return;
  const slot = await runner.run({ sql: 'SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', params: [names.slot] });
  if (slot.rows.length === 0) await ignoreDuplicate(runner.run({ sql: "SELECT pg_create_logical_replication_slot($1, 'pgoutput')", params: [names.slot] }));
}

/**
 * Adds tables to the publication (their changes are captured from then on): one look at which
 * are in it already, then one round trip for the others (a hundred tables made by one migration
 * run cost three round trips each before). Another node adding one of them first fails the
 * batch; then each goes alone.
 */
export async function publishTables(runner: SqlRunner, names: CaptureNames, namespace: string, tables: readonly TableInfo[]): Promise<void> {
  if (tables.length === 0) return;
  const { rows } = await runner.run({
    sql: 'SELECT tablename FROM pg_publication_tables WHERE pubname = $1 AND schemaname = $2 AND tablename = ANY($3)',
    params: [names.publication, namespace, tables.map((t) => t.name)],
  });
  const published = new Set(rows.map((r) => String(r['tablename'])));
  const refs = tables.filter((t) => !published.has(t.name)).map((t) => `${quote(namespace)}.${quote(t.name)}`);
  if (refs.length === 0) return;
  const statements = (batch: readonly string[]) => [...batch.map((ref) => `ALTER TABLE ${ref} REPLICA IDENTITY FULL`), `ALTER PUBLICATION ${quote(names.publication)} ADD TABLE ${batch.join(', ')}`].join('; ');
  try {
    await runner.run({ sql: statements(refs), params: [] });
  } catch (err) {
    if (!isDuplicate(err)) throw err;
    // Another node added one of them first: the rest go one by one.
    if (refs.length > 1) for (const ref of refs) await ignoreDuplicate(runner.run({ sql: statements([ref]), params: [] }));
  }
}

/**
 * Ends the walsender that still streams the slot (a reader that lost its lease, or died
 * unnoticed). Only a walsender: while another node's ensureCapture creates the slot, its
 * ordinary backend is the slot's active_pid too, and ending it would fail that node's setup
 * (it then fell back to triggers); the reader waits for the creation instead (its retry).
 */
export async function takeOverSlot(runner: SqlRunner, names: CaptureNames): Promise<void> {
  await runner.run({
    sql: `SELECT pg_terminate_backend(s.active_pid) FROM pg_replication_slots s JOIN pg_stat_activity a ON a.pid = s.active_pid
      WHERE s.slot_name = $1 AND a.backend_type = 'walsender'`,
    params: [names.slot],
  });
}

/** Drops the slot (ending whoever streams it) and the publication. */
export async function dropCapture(runner: SqlRunner, names: CaptureNames): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await takeOverSlot(runner, names);
    try {
      await runner.run({ sql: 'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', params: [names.slot] });
      break;
    } catch (err) {
      // Still active: the terminated walsender had not exited yet.
      if (attempt >= 50 || !/active/i.test(String((err as { cause?: { message?: string } }).cause?.message ?? err))) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await runner.run({ sql: `DROP PUBLICATION IF EXISTS ${quote(names.publication)}`, params: [] });
}

/** Drops the publication alone (an embedded feed closing: its temporary slot went with its connection). */
export async function dropPublication(runner: SqlRunner, names: CaptureNames): Promise<void> {
  await runner.run({ sql: `DROP PUBLICATION IF EXISTS ${quote(names.publication)}`, params: [] });
}

/**
 * Another node made it first: 42710 duplicate_object when its transaction had committed, 23505
 * unique_violation (on pg_publication's name index) when both inserted the catalog row at once.
 */
const isDuplicate = (err: unknown): boolean => {
  const code = (err as { cause?: { code?: string } }).cause?.code;
  return code === '42710' || code === '23505';
};

function ignoreDuplicate(p: Promise<unknown>): Promise<void> {
  return p.then(
    () => undefined,
    (err: unknown) => {
      if (!isDuplicate(err)) throw err;
    },
  );
}
