/**
 * A RestoreStage (dump.ts) for the SQL backends: the tables are built through a second driver
 * on a namespace of their own (a Postgres schema, a MariaDB database, a SQLite file), with their
 * native definition when it is this backend's and the portable one otherwise; the backend's
 * StageDriver swaps them in.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { RestoreStage } from '../dump.js';
import type { Adapter, NativeTable, Row, TableInfo } from '../types.js';
import { compileCreateTable } from './ddl.js';
import type { StageDriver } from './driver.js';
import { InFlight } from '../in-flight.js';
import { MoboError } from '../../runtime/index.js';

/** Tables whose keys and indexes a Postgres stage builds at once (a backup target's pool holds two connections). */
const POSTGRES_BUILDS = 2;

/** A stage's name (plain letters and digits, never quoted): `mobo_restore_<namespace hash>_<random>`. */
export function stageName(namespace: string): string {
  return `${stagePrefix(namespace)}${randomBytes(5).toString('hex')}`;
}

/** What every stage of a namespace's restores starts with (to find leftovers). */
export function stagePrefix(namespace: string): string {
  return `mobo_restore_${createHash('sha1').update(namespace).digest('hex').slice(0, 8)}_`;
}

/** Identifiers the backend takes once quoted: anything but empty, NUL, or longer than it allows. */
export function checkRestoredName(name: string, maxBytes: number): void {
  if (typeof name !== 'string' || name === '' || name.includes('\u0000') || Buffer.byteLength(name) > maxBytes) {
    throw new MoboError('DS_QUERY_INVALID', `A table or column name in the backup is not valid here: names are 1-${maxBytes} bytes without NUL`, {
      details: { name: typeof name === 'string' ? name.slice(0, 128) : String(name) },
    });
  }
}

export class SqlStage implements RestoreStage {
  private readonly natives: NativeTable[] = [];
  private readonly portables: TableInfo[] = [];
  private readonly names: string[] = [];
  /** Rows COPY reported per table, and the tables that also took inserted rows. */
  private readonly copied = new Map<string, number>();
  private readonly inserted = new Set<string>();

  /** `adapter` works on `stage.driver`: rows go in and are counted through it. */
  constructor(
    private readonly stage: StageDriver,
    private readonly adapter: Pick<Adapter, 'insert' | 'count' | 'introspect'>,
  ) {}

  async createTable(table: TableInfo, native: NativeTable | undefined): Promise<void> {
    const { driver } = this.stage;
    if (native && native.backend === driver.kind) {
      for (const sql of native.create) await driver.runner.run({ sql, params: [] });
      this.natives.push(native);
    } else {
      checkRestoredName(table.name, driver.maxNameBytes);
      for (const column of table.columns) checkRestoredName(column.name, driver.maxNameBytes);
      await driver.runner.run({ sql: compileCreateTable(driver.dialect, driver.tableRef(table.name), table), params: [] });
      this.portables.push(table);
    }
    this.names.push(table.name);
    await this.adapter.introspect(true);
  }

  async insert(table: string, rows: Row[]): Promise<unknown> {
    this.inserted.add(table);
    return this.adapter.insert(table, rows, false);
  }

  get copyStreams(): number | undefined {
    return this.stage.copyStreams;
  }

  get copy(): RestoreStage['copy'] {
    const { driver } = this.stage;
    const copyIn = driver.copyIn?.bind(driver);
    return (
      copyIn &&
      (async (table, columns, data) => {
        const rows = await copyIn(driver.tableRef(table), columns, data);
        this.copied.set(table, (this.copied.get(table) ?? 0) + rows);
        return rows;
      })
    );
  }

  async finish(): Promise<void> {
    const { driver } = this.stage;
    const run = (sql: string) => driver.runner.run({ sql, params: [] });
    // Postgres builds the keys and indexes of two tables at once, each on a connection of the
    // stage's pool (as pg_restore -j does); foreign keys wait for every key.
    const builds = new InFlight(driver.kind === 'postgres' ? POSTGRES_BUILDS : 1);
    for (const native of this.natives) await builds.add(async () => {
      for (const sql of native.after) await run(sql);
    });
    await builds.drain();
    for (const native of this.natives) for (const sql of native.foreignKeys) await run(sql);
    for (const native of this.natives) for (const sequence of native.sequences) await driver.setSequence(sequence);
    for (const table of this.portables) await driver.afterRestore?.(table);
  }

  /** A table filled by COPY alone holds what COPY said it loaded: no count(*) over it. */
  count(table: string): Promise<number> {
    const copied = this.copied.get(table);
    return copied !== undefined && !this.inserted.has(table) ? Promise.resolve(copied) : this.adapter.count({ table });
  }

  swap(beforeCommit: () => Promise<void>): Promise<void> {
    return this.stage.swap(this.names, beforeCommit);
  }

  async discard(): Promise<void> {
    await this.stage.discard();
  }
}
