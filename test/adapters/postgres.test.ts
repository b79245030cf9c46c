import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createAdapter } from '../../adapters/index.js';
import { isMoboError } from '../../runtime/errors.js';
import { adapterConformance } from './conformance.js';
import type { OpenedAdapter } from './conformance.js';
import { uniqueName, waitFor } from './helpers.js';
import { snapshotConformance } from './snapshot-conformance.js';

const URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A connected adapter in a schema of its own, dropped on cleanup. Its connections serve every
 * source of this database and role (adapters/server-budget.ts); `named` gives it connections
 * of its own, named by its schema in pg_stat_activity.
 */
async function openPostgres(pool?: { max: number }, named = false): Promise<OpenedAdapter & { schema: string }> {
  const schema = uniqueName('mobo_t');
  const admin = new pg.Client({ connectionString: URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  await admin.end();
  const url = named ? `${URL}?application_name=${schema}` : URL;
  const adapter = createAdapter({ kind: 'postgres', url, namespace: schema, ...(pool ? { pool } : {}) });
  await adapter.connect();
  return {
    adapter,
    schema,
    cleanup: async () => {
      await adapter.close();
      const client = new pg.Client({ connectionString: URL });
      await client.connect();
      await client.query(`DROP SCHEMA "${schema}" CASCADE`);
      await client.end();
    },
  };
}

adapterConformance('postgres', () => openPostgres(), { transactions: true, textAllowsNul: false });
snapshotConformance('postgres', () => openPostgres());

describe('postgres adapter: connections killed from the server side', () => {
  it('survives pg_terminate_backend on every pool connection and its LISTEN connection', async () => {
    const { adapter, cleanup, schema } = await openPostgres({ max: 4 }, true);
    const admin = new pg.Client({ connectionString: URL });
    await admin.connect();
    try {
      const table = uniqueName('killed');
      await adapter.createTable({
        name: table,
        primaryKey: ['id'],
        columns: [
          { name: 'id', type: 'integer', nativeType: 'bigint', nullable: false, hasDefault: true },
          { name: 'note', type: 'text', nativeType: 'text', nullable: true, hasDefault: false },
        ],
      });
      const seen: string[] = [];
      const feed = await adapter.watch((e) => e.table === table && seen.push(String(e.row?.['note'])));
      // Fill the pool so there are several backends to kill.
      await Promise.all(Array.from({ length: 8 }, () => adapter.count({ table })));
      const { rows } = await admin.query<{ n: number }>(
        'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [schema],
      );
      expect(rows[0]!.n).toBeGreaterThanOrEqual(3);

      // Reads retry once on a fresh connection; writes either succeed or fail fast with DS_UNAVAILABLE.
      expect(await adapter.count({ table })).toBe(0);
      const outcomes = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          adapter.insert(table, [{ note: `w${i}` }]).then(
            () => 'ok',
            (err: unknown) => (isMoboError(err, 'DS_UNAVAILABLE') ? 'unavailable' : `unexpected ${String(err)}`),
          ),
        ),
      );
      expect(outcomes.every((o) => o === 'ok' || o === 'unavailable')).toBe(true);
      expect((await adapter.health()).status).toBe('ok');

      // The feed reconnects by itself; a change made after that arrives.
      await waitFor(async () => {
        await adapter.insert(table, [{ note: 'probe' }]);
        return seen.includes('probe');
      });
      await feed.close();
    } finally {
      await admin.end();
      await cleanup();
    }
  });
});
