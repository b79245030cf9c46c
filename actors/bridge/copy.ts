import type { DataClient } from '../ds/protocol.js';
import { converterFor, rowConverter } from './convert.js';
import { type Filter, requireColumn, type TableInfo } from '../../adapters/index.js';
import { MoboError } from '../../runtime/index.js';

export interface CopyPlan {
  from: DataClient;
  to: DataClient;
  table: string;
  toTable: string;
  batchSize: number;
  onProgress(copied: number, total: number): void;
}

export interface CopyResult {
  table: string;
  toTable: string;
  rows: number;
  batches: number;
  createdTable: boolean;
  /** What the operator should know, e.g. that the copied table has no row rule where it went. */
  warnings: string[];
}

/**
 * Copies one table or collection between any two sources. The target table is created
 * from the source's portable column types when missing (a decimal keeps its precision); into
 * an existing table, values convert to its column types where the meaning is plain
 * (convert.ts: SQLite's 0/1 into a boolean, its text timestamps into a timestamp). Rows move
 * in batches, paged by primary key (keyset, so concurrent inserts cannot shift pages), else
 * by offset.
 */
export async function copyTable(plan: CopyPlan): Promise<CopyResult> {
  const source = await findTable(plan.from, plan.table);
  const targetTables = (await plan.to.schema(true)).tables;
  let target = targetTables.find((t) => t.name === plan.toTable);
  const createdTable = !target;
  if (!target) {
    target = { ...source, name: plan.toTable };
    await plan.to.createTable(target);
    await plan.to.schema(true);
  }
  const shared = source.columns.map((c) => c.name).filter((name) => target.columns.some((c) => c.name === name));
  if (shared.length === 0) throw new MoboError('DS_QUERY_INVALID', `${plan.toTable} has none of the columns of ${plan.table}`);
  const convert = rowConverter(shared.map((name) => ({ name, convert: converterFor(requireColumn(source, name), requireColumn(target, name), plan.toTable) })));

  const total = await plan.from.count(plan.table);
  const key = source.primaryKey.length === 1 ? source.primaryKey[0] : undefined;
  let copied = 0;
  let batches = 0;
  let last: unknown;
  plan.onProgress(0, total);
  for (;;) {
    const where: Filter | undefined = key !== undefined && last !== undefined ? { op: 'gt', column: key, value: last as string | number } : undefined;
    const page = await plan.from.select({
      table: plan.table,
      columns: shared,
      ...(where ? { where } : {}),
      order: (key ? [key] : source.primaryKey.length > 0 ? source.primaryKey : shared).map((column) => ({ column, direction: 'asc' as const })),
      limit: plan.batchSize,
      ...(key ? {} : { offset: copied }),
    });
    if (page.length === 0) break;
    await plan.to.insert(plan.toTable, page.map(convert), false);
    copied += page.length;
    batches++;
    if (key) last = page.at(-1)![key];
    plan.onProgress(copied, Math.max(total, copied));
    if (page.length < plan.batchSize) break;
  }
  return { table: plan.table, toTable: plan.toTable, rows: copied, batches, createdTable, warnings: [] };
}

async function findTable(client: DataClient, name: string): Promise<TableInfo> {
  const table = (await client.schema(true)).tables.find((t) => t.name === name);
  if (!table) throw new MoboError('DS_TABLE_NOT_FOUND', `No table "${name}"`, { details: { table: name } });
  return table;
}

