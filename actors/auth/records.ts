import type { DataClient } from '../ds/protocol.js';
import type { Filter, Row } from '../../adapters/index.js';
import { type ErrorCode, isMoboError, MoboError } from '../../runtime/index.js';

/** `{a: 1, b: 2}` → `a = 1 AND b = 2`: every MagAuth lookup names its project this way. */
export function where(fields: Record<string, string | number>): Filter {
  const filters: Filter[] = Object.entries(fields).map(([column, value]) => ({ op: 'eq', column, value }));
  return filters.length === 1 ? filters[0]! : { op: 'and', filters };
}

export async function findOne(store: DataClient, table: string, fields: Record<string, string | number>): Promise<Row | undefined> {
  const [row] = await store.select({ table, where: where(fields), limit: 1 });
  return row;
}

/** Inserts a row whose primary key must be new; a duplicate becomes `conflict`. */
export async function insertNew(store: DataClient, table: string, row: Row, conflict: () => MoboError): Promise<void> {
  await store.insert(table, [row], false).catch((err: unknown) => {
    throw isMoboError(err, 'DS_CONFLICT') ? conflict() : err;
  });
}

/** Updates the rows matching `fields`; none matched is `missing` (a not-found code). */
export async function updateExisting(store: DataClient, table: string, fields: Record<string, string | number>, patch: Row, missing: ErrorCode): Promise<Row> {
  const [row] = await store.update(table, where(fields), patch, true);
  if (!row) throw new MoboError(missing, undefined, { details: { ...fields } });
  return row;
}

export const iso = (ms: number): string => new Date(ms).toISOString();
