/**
 * MySQL / MariaDB sources take their connections from their server's budget, as Postgres
 * sources do: two sources on one server share it, a request past it waits and is then refused
 * with DS_BUSY (never DS_UNAVAILABLE), and the source serves again once connections come back.
 * Its own file: the budget is per server and process, and a limit of 2 would starve the other
 * MySQL tests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { budgetStats, createAdapter } from '../../adapters/index.js';
import type { Adapter } from '../../adapters/types.js';
import { isMoboError } from '../../runtime/errors.js';
import { MYSQL_URL, mysqlAdmin as admin, uniqueName } from './helpers.js';

const URL = MYSQL_URL;
const BUDGET = { limit: 2, waitMs: 300 };

describe('MySQL sources under one connection budget', () => {
  const databases = [uniqueName('mobo_b'), uniqueName('mobo_b')];
  let adapters: Adapter[] = [];

  beforeAll(async () => {
    for (const db of databases) await admin(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    adapters = databases.map((namespace) => createAdapter({ kind: 'mysql', url: URL, namespace, budget: BUDGET }));
    for (const a of adapters) {
      await a.connect();
      await a.createTable({ name: 'items', primaryKey: ['id'], columns: [{ name: 'id', type: 'integer', nativeType: 'int', nullable: false, hasDefault: false }] });
      await a.select({ table: 'items' }); // the schema is read now, not inside the test's transactions
    }
  });
  afterAll(async () => {
    for (const a of adapters) await a.close();
    for (const db of databases) await admin(`DROP DATABASE IF EXISTS \`${db}\``);
  });

  it('refuses with DS_BUSY past the budget, and serves again once a connection comes back', async () => {
    const [a, b] = adapters as [Adapter, Adapter];
    // Each source holds one connection in an open transaction: the server's budget of 2 is spent.
    const holders = [a, b].map((adapter) => {
      let finish!: () => void;
      const held = new Promise<void>((r) => (finish = r));
      let started!: () => void;
      const inside = new Promise<void>((r) => (started = r));
      const done = adapter.transaction(async (tx) => {
        await tx.select({ table: 'items' });
        started();
        await held;
      });
      done.catch(() => started()); // a failure to begin shows in the assertions, not as a hang
      return { inside, finish, done };
    });
    await Promise.all(holders.map((h) => h.inside));
    expect(budgetStats().find((s) => s.server === '127.0.0.1:3306')).toMatchObject({ budget: 2, inUse: 2 });

    const refused = await a.select({ table: 'items' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isMoboError(refused, 'DS_BUSY')).toBe(true);

    holders[1]!.finish();
    await holders[1]!.done;
    await expect(a.select({ table: 'items' })).resolves.toEqual([]);
    holders[0]!.finish();
    await holders[0]!.done;
    expect(budgetStats().find((s) => s.server === '127.0.0.1:3306')!.opened).toBeGreaterThanOrEqual(2);
  });
});
