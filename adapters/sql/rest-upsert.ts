/**
 * A PostgREST upsert (rest-plan.ts RestWrite with onConflict) on SQLite and MySQL/MariaDB
 * (upsert.ts runs it). What this path cannot do as PostgREST would is DS_UNSUPPORTED naming
 * the feature and the backend, never a different write: a select tree beyond plain columns,
 * schemas, tx=rollback, max-affected, missing=default. Under a row rule a merge that meets a row
 * the rule hides is 403 (upsert.ts), nothing written.
 */
import { unsupportedRest } from '../base.js';
import type { ChangeSink } from '../changes.js';
import { changeEvents } from '../changes.js';
import type { RestWrite, RestWriteResult } from '../rest-plan.js';
import type { SchemaCache } from '../schema-cache.js';
import type { Row } from '../types.js';
import { prepareRows } from '../validate.js';
import { describeTable } from './describe-table.js';
import type { SqlDriver } from './driver.js';
import { restFault } from './rest/errors.js';
import { conflictKeys, insertedRows, keyOf, upsertRows } from './upsert.js';

export async function restUpsert(driver: SqlDriver, schema: SchemaCache, changes: ChangeSink, write: RestWrite & { onConflict: NonNullable<RestWrite['onConflict']> }): Promise<RestWriteResult> {
  const kind = driver.kind;
  const refuse = (feature: string) => unsupportedRest(kind, feature);
  if (write.schema) throw refuse('Schema profiles (Content-Profile)');
  if (write.rollback) throw refuse('Upserts with Prefer: tx=rollback');
  if (write.maxAffected !== undefined) throw refuse('Upserts with Prefer: max-affected');
  if (write.missingDefault) throw refuse('Upserts with Prefer: missing=default');
  const project = projection(write, refuse);
  const info = await schema.table(write.table);
  const target = { ref: driver.tableRef(info.name), info };
  // `columns=` names what is inserted: other keys of the body are ignored, as PostgREST does.
  const named = write.columns;
  const body = named ? (write.rows ?? []).map((r) => Object.fromEntries(named.filter((c) => c in r).map((c) => [c, r[c]]))) : (write.rows ?? []);
  const rows = prepareRows(info, body);
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (columns.length === 0) throw refuse('Upserts of rows without columns');
  const outcome = await driver.transaction(async (runner) => {
    const keys = conflictKeys(await describeTable(driver.dialect.name, runner, target.ref, info), columns, write.onConflict.columns, driver.dialect.name);
    const conflict = keys.target;
    const result = await upsertRows(driver, runner, target, rows, keys, write.onConflict.resolution, write.rules[write.table] ?? undefined);
    if (write.single && result.after.length !== 1) {
      throw restFault('DS_QUERY_INVALID', { code: 'PGRST116', status: 406, message: 'JSON object requested, multiple (or no) rows returned', details: `The result contains ${result.after.length} rows` });
    }
    return { ...result, conflict };
  });
  const inserted = insertedRows(outcome.conflict, outcome);
  if (changes.wanted) {
    const old = new Map(outcome.before.map((r) => [keyOf(outcome.conflict, r), r]));
    const updated = outcome.after.filter((r) => old.has(keyOf(outcome.conflict, r)));
    changes.publish([...changeEvents(info, 'INSERT', inserted), ...changeEvents(info, 'UPDATE', updated, updated.map((r) => old.get(keyOf(outcome.conflict, r))!))]);
  }
  const affected = outcome.after.length;
  const result: RestWriteResult = { body: write.returning ? JSON.stringify(outcome.after.map(project)) : '[]', returned: write.returning ? affected : 0, affected, inserted: inserted.length };
  if (write.count) result.total = affected;
  return result;
}

/** The select tree over the written rows: `*` and plain columns (aliases too); the rest is refused. */
function projection(write: RestWrite, refuse: (feature: string) => Error): (row: Row) => Row {
  const items = write.root.select;
  if (items.length === 0 || items.some((i) => i.kind === 'star')) {
    if (items.some((i) => i.kind !== 'star')) throw refuse('Select trees beyond * or plain columns on written rows');
    return (row) => row;
  }
  const picks = items.map((item) => {
    if (item.kind !== 'column' || item.ref.path?.length || item.cast || item.aggregate) throw refuse('Select trees beyond * or plain columns on written rows');
    return { from: item.ref.column, to: item.alias ?? item.ref.column };
  });
  return (row) => Object.fromEntries(picks.map((p) => [p.to, row[p.from]]));
}
