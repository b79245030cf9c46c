import { ensureTables } from './catalog-tables.js';
import type { DataClient } from './protocol.js';
import type { Filter, RestWriteResult, Row, TableInfo } from '../../adapters/index.js';
import { type ErrorBody, isMoboError, MoboError } from '../../runtime/index.js';

/**
 * The durable record of an idempotent write (the REST Idempotency-Key, gateway/rest/idempotency.ts),
 * one row per (project, key) in the control store — SQLite embedded, the shared Postgres in a
 * cluster — so every node sees the same records.
 *
 * A record is claimed `pending` by the edge before the write is sent, and its outcome is written
 * by the connection actor that ran the write, as soon as the write settles and before it answers:
 * so an answer lost on the way back (the actor killed, the asker timed out, another node's actor
 * answering over NATS) is still recorded once the write itself finishes.
 *   done     the write's answer: its rows, or a definite error (a conflict, a constraint)
 *   unknown  the write's connection broke after it was sent (DS_OUTCOME_UNKNOWN): nobody can tell
 *            whether it was applied, so it is never run again under this key
 *   (gone)   the write was certainly not applied (DS_UNAVAILABLE, DS_UNSUPPORTED): the record is deleted, and a
 *            retry runs the write
 */
export const WRITE_RECORDS = 'mobo_idempotency';

export type RecordState = 'pending' | 'done' | 'unknown';

export interface WriteRecord {
  id: string;
  project: string;
  fingerprint: string;
  /** A fresh token per claim: only the request holding it records the outcome. */
  claim: string;
  state: RecordState;
  /** JSON of the recorded Outcome, once done. */
  outcome: string | null;
  /** Until then a pending record belongs to its request; after it, a retry may take it over. */
  lease_until: number;
  expires_at: number;
}

/** What a recorded write answered: rows (a simple-path write), a PostgREST write's result, or a definite error. */
export type Outcome = { rows: Row[] } | { rest: RestWriteResult } | { error: ErrorBody };

const text = (name: string, nullable = false) => ({ name, type: 'text' as const, nativeType: 'text', nullable, hasDefault: false });
const integer = (name: string) => ({ name, type: 'integer' as const, nativeType: 'bigint', nullable: false, hasDefault: false });

export const WRITE_RECORDS_TABLE: TableInfo = {
  name: WRITE_RECORDS,
  primaryKey: ['id'],
  columns: [text('id'), text('project'), text('fingerprint'), text('claim'), text('state'), text('outcome', true), integer('lease_until'), integer('expires_at')],
};

/** Which record a write settles, and under which claim. */
export interface RecordRef {
  id: string;
  claim: string;
}

/** The record while it is still this claim's to settle. */
const claimed = (ref: RecordRef): Filter => ({
  op: 'and',
  filters: [
    { op: 'eq', column: 'id', value: ref.id },
    { op: 'eq', column: 'claim', value: ref.claim },
    { op: 'eq', column: 'state', value: 'pending' },
  ],
});

/** What the connection actor writes when an idempotent write settles. */
export class WriteRecords {
  private ready: Promise<void> | undefined;

  constructor(private readonly store: DataClient) {}

  /** The table exists before the first record (created once per process; safe on every node). */
  ensure(): Promise<void> {
    this.ready ??= ensureTables(this.store, [WRITE_RECORDS_TABLE]).catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  /** Records how the write of `id` settled (see the states above). */
  async settle(ref: RecordRef, result: { rows: Row[] } | { rest: RestWriteResult } | { failure: unknown }): Promise<void> {
    await this.ensure();
    if (!('failure' in result)) return this.finish(ref, 'done', result);
    const err = result.failure;
    // Certainly not applied: the source was away, or cannot run this kind of write (the edge then takes its simple path).
    if (isMoboError(err, 'DS_UNAVAILABLE') || isMoboError(err, 'DS_UNSUPPORTED')) return this.release(ref);
    if (isMoboError(err, 'DS_OUTCOME_UNKNOWN')) return this.finish(ref, 'unknown', null);
    return this.finish(ref, 'done', { error: (err instanceof MoboError ? err : new MoboError('INTERNAL')).toBody() });
  }

  /** A pending claim nobody will settle (its node died): from now on its outcome is unknown. */
  async markUnknown(ref: RecordRef): Promise<void> {
    await this.finish(ref, 'unknown', null);
  }

  /** The write never ran (or certainly was not applied): the key is free for a retry. */
  async release(ref: RecordRef): Promise<void> {
    await this.store.delete(WRITE_RECORDS, claimed(ref), false);
  }

  private async finish(ref: RecordRef, state: RecordState, outcome: Outcome | null): Promise<void> {
    await this.store.update(WRITE_RECORDS, claimed(ref), { state, outcome: outcome && JSON.stringify(outcome) }, false);
  }
}
