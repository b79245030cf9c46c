import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapter } from '../../adapters/index.js';
import type { Adapter, MigrationStep } from '../../adapters/types.js';
import { uniqueName } from '../adapters/helpers.js';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer.js';
import { pgQuery } from '../support/sql.js';

/**
 * A migration run holds a session lock on one connection: through PgBouncer in transaction mode
 * (where consecutive statements may land on different server connections) it goes to the server
 * directly (`feedUrl`), so two runs at once still apply each migration exactly once.
 */
describe('migrations of a Postgres source behind PgBouncer (transaction mode)', () => {
  const DIRECT = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = uniqueName('mobo_pgb_mig');
  let bouncer: PgBouncer;
  let adapters: Adapter[] = [];

  beforeAll(async () => {
    bouncer = await startPgBouncer();
    await pgQuery(DIRECT, `CREATE SCHEMA "${schema}"`);
    adapters = [0, 1].map(() => createAdapter({ kind: 'postgres', url: bouncer.url('test', `?schema=${schema}`), feedUrl: DIRECT, pool: { max: 4 } }));
    for (const a of adapters) await a.connect();
  }, 60_000);
  afterAll(async () => {
    for (const a of adapters) await a.close();
    await pgQuery(DIRECT, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await bouncer?.stop();
  });

  it('two runs at once: every migration applied once, recorded, and the lock released', async () => {
    const steps: MigrationStep[] = Array.from({ length: 10 }, (_, i) => ({
      id: `2026010100000${i}_t${i}`,
      checksum: `c${i}`,
      direction: 'up',
      statements: [`CREATE TABLE "t${i}" (id integer PRIMARY KEY)`],
    }));
    const [a, b] = await Promise.all(adapters.map((x) => x.schemaEditor!.migrate(steps)));
    expect([...a!.applied, ...b!.applied].sort()).toEqual(steps.map((s) => s.id));
    expect((await adapters[0]!.schemaEditor!.migrations()).map((m) => m.id)).toEqual(steps.map((s) => s.id));
    const rows = await pgQuery(DIRECT, `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 't%'`, [schema]);
    expect(rows[0]).toEqual({ n: 10 });
    // Nothing holds the lock any more: a third run goes through at once (and has nothing to do).
    expect(await adapters[1]!.schemaEditor!.migrate(steps)).toEqual({ applied: [] });
    const down = steps.slice(-2).reverse().map((s) => ({ ...s, direction: 'down' as const, statements: [`DROP TABLE "${s.id.split('_')[1]}"`] }));
    expect(await adapters[0]!.schemaEditor!.migrate(down)).toEqual({ applied: down.map((s) => s.id) });
    expect(await adapters[1]!.schemaEditor!.migrations()).toHaveLength(8);
  });
});
