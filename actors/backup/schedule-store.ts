import { ensureTables } from '../ds/catalog-tables.js';
import type { DataClient } from '../ds/protocol.js';
import type { Schedule } from './scheduler.js';
import type { TableInfo } from '../../adapters/index.js';

export const SCHEDULE_TABLE = 'mobo_backup_schedule';
const ROW_ID = 'default';

const TABLE: TableInfo = {
  name: SCHEDULE_TABLE,
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
    { name: 'cron', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
    { name: 'keep', type: 'integer', nativeType: 'integer', nullable: true, hasDefault: false },
    { name: 'updated_at', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
  ],
};

/** The backup schedule in the control store, so every node of a cluster reads the same one. */
export class ScheduleStore {
  constructor(private readonly store: DataClient) {}

  ensure(): Promise<void> {
    return ensureTables(this.store, [TABLE]);
  }

  async load(): Promise<Schedule | null> {
    const [row] = await this.store.select({ table: SCHEDULE_TABLE, where: { op: 'eq', column: 'id', value: ROW_ID } });
    if (!row) return null;
    return row.keep === null || row.keep === undefined ? { cron: String(row.cron) } : { cron: String(row.cron), keep: Number(row.keep) };
  }

  async save(schedule: Schedule | null, now: Date): Promise<void> {
    const clear = { op: 'delete' as const, table: SCHEDULE_TABLE, where: { op: 'eq' as const, column: 'id', value: ROW_ID } };
    if (!schedule) return void (await this.store.batch([clear]));
    await this.store.batch([clear, { op: 'insert', table: SCHEDULE_TABLE, rows: [{ id: ROW_ID, cron: schedule.cron, keep: schedule.keep ?? null, updated_at: now.toISOString() }] }]);
  }
}
