import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { ChangeEvent } from '../../adapters/types.js';

/** The local MariaDB the MySQL tests use (root, no password). */
export const MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';

/** One statement on its own connection to the local MariaDB (creating and dropping test databases). */
export async function mysqlAdmin(sql: string): Promise<void> {
  const connection = await mysql.createConnection(MYSQL_URL);
  try {
    await connection.query(sql);
  } finally {
    await connection.end();
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** Collects change events; `until` resolves when the events so far satisfy a predicate. */
export class EventLog {
  readonly events: ChangeEvent[] = [];
  private waiters: Array<() => void> = [];

  readonly push = (event: ChangeEvent): void => {
    this.events.push(event);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  };

  async until(predicate: (events: ChangeEvent[]) => boolean): Promise<ChangeEvent[]> {
    while (!predicate(this.events)) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.events;
  }

  forTable(table: string): ChangeEvent[] {
    return this.events.filter((e) => e.table === table);
  }
}

/** Polls a condition that has no event to await, with a bounded deadline. */
export async function waitFor(predicate: () => Promise<boolean> | boolean, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('waitFor: condition not met before the deadline');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
