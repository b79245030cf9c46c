import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapter } from '../../adapters/index.js';
import type { ChangeEvent, TableInfo } from '../../adapters/types.js';
import { pgQuery } from '../support/sql.js';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer.js';
import { adapterConformance, type OpenedAdapter } from './conformance.js';
import { EventLog, uniqueName } from './helpers.js';

/**
 * Postgres sources through a real PgBouncer in transaction mode: consecutive statements of one
 * source may land on different server connections, so nothing may rely on session state
 * outside a transaction; pg's unnamed prepared statements go with their Bind/Execute in one
 * round trip, so they fit transaction pooling. The change feed's LISTEN needs a session of its
 * own: it goes to the server directly (`feedUrl`).
 */
const DIRECT = 'postgres://postgres@127.0.0.1:5432/test';
let bouncer: PgBouncer;

beforeAll(async () => {
  bouncer = await startPgBouncer();
}, 30_000);
afterAll(async () => {
  await bouncer?.stop();
});

async function throughBouncer(): Promise<OpenedAdapter & { schema: string }> {
  const schema = uniqueName('mobo_pgb');
  await pgQuery(DIRECT, `CREATE SCHEMA "${schema}"`);
  const adapter = createAdapter({ kind: 'postgres', url: bouncer.url('test', `?schema=${schema}`), feedUrl: DIRECT, pool: { max: 4 } });
  await adapter.connect();
  return {
    adapter,
    schema,
    cleanup: async () => {
      await adapter.close();
      await pgQuery(DIRECT, `DROP SCHEMA "${schema}" CASCADE`);
    },
  };
}

adapterConformance('postgres through PgBouncer (transaction mode)', () => throughBouncer(), { transactions: true, textAllowsNul: false });

describe('PgBouncer in transaction mode', () => {
  const table: TableInfo = {
    name: 'orders',
    primaryKey: ['id'],
    columns: [
      { name: 'id', type: 'integer', nativeType: 'bigint', nullable: false, hasDefault: true },
      { name: 'item', type: 'text', nativeType: 'text', nullable: true, hasDefault: false },
    ],
  };

  it('serves concurrent writes and reads of several sources, and their changes come through the direct feed', async () => {
    const opened = await Promise.all([throughBouncer(), throughBouncer()]);
    try {
      const logs = opened.map(() => new EventLog());
      for (const [i, o] of opened.entries()) await o.adapter.createTable(table);
      const feeds = await Promise.all(opened.map((o, i) => o.adapter.watch(logs[i]!.push)));
      await Promise.all(opened.flatMap((o, i) => Array.from({ length: 20 }, (_, n) => o.adapter.insert('orders', [{ item: `s${i}-${n}` }]))));
      for (const [i, o] of opened.entries()) {
        expect(await o.adapter.count({ table: 'orders' })).toBe(20);
        const events = await logs[i]!.until((e) => e.filter((x: ChangeEvent) => x.table === 'orders').length === 20);
        expect(events.every((e) => String(e.row?.['item']).startsWith(`s${i}-`))).toBe(true);
      }
      // The pooler held the data connections; the feed's LISTEN is on the server directly.
      const listen = await pgQuery<{ addr: string }>(DIRECT, "SELECT application_name AS addr FROM pg_stat_activity WHERE application_name = 'mobo:listen' AND datname = 'test'");
      expect(listen.length).toBeGreaterThanOrEqual(1);
      await Promise.all(feeds.map((f) => f.close()));
    } finally {
      await Promise.all(opened.map((o) => o.cleanup()));
    }
  });
});
