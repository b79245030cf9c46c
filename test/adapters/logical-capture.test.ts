/**
 * Postgres change capture by logical replication (embedded: the reader runs in this process on
 * a temporary slot), beside the trigger path: the adapter conformance suite on a logical source,
 * tables made with psql captured after a schema refresh, `auto` falling back to triggers where
 * the role may not replicate, `logical` refusing there, and the source's capture dropped.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { captureStats, createAdapter, dropChangeCapture } from '../../adapters/index.js';
import type { SourceConfig } from '../../adapters/types.js';
import { isMoboError } from '../../runtime/errors.js';
import { adapterConformance, type OpenedAdapter } from './conformance.js';
import { EventLog, uniqueName } from './helpers.js';
import { pgQuery } from '../support/sql.js';
import { waitFor } from '../support/wait.js';

const URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function openSource(extra: Partial<SourceConfig> = {}, url = URL): Promise<OpenedAdapter & { schema: string; config: SourceConfig }> {
  const schema = uniqueName('mobo_lc');
  await pgQuery(URL, `CREATE SCHEMA "${schema}"`);
  if (extra.url && new globalThis.URL(extra.url).username !== 'postgres') await pgQuery(URL, `ALTER SCHEMA "${schema}" OWNER TO "${new globalThis.URL(extra.url).username}"`);
  const config: SourceConfig = { kind: 'postgres', url, namespace: schema, changes: 'logical', captureKey: uniqueName('test_lc'), ...extra };
  const adapter = createAdapter(config);
  await adapter.connect();
  return {
    adapter,
    schema,
    config,
    cleanup: async () => {
      await adapter.close();
      await dropChangeCapture(config);
      await pgQuery(URL, `DROP SCHEMA "${schema}" CASCADE`);
    },
  };
}

adapterConformance('postgres (logical replication)', () => openSource(), { transactions: true, textAllowsNul: false });

describe('postgres logical change capture', () => {
  it('captures a table made with psql after the schema refresh, with no trigger installed', async () => {
    const { adapter, schema, config, cleanup } = await openSource();
    try {
      await pgQuery(URL, `CREATE TABLE "${schema}".early (id serial PRIMARY KEY, note text)`);
      const log = new EventLog();
      const feed = await adapter.watch(log.push);
      expect(captureStats().find((s) => s.key === config.captureKey)).toMatchObject({ path: 'logical', relay: 'direct', role: 'holder' });
      await pgQuery(URL, `INSERT INTO "${schema}".early (note) VALUES ('by psql')`);
      await log.until((events) => events.some((e) => e.table === 'early'));
      await adapter.schemaEditor!.refresh(); // the baseline the next refresh compares with
      await pgQuery(URL, `CREATE TABLE "${schema}".late (id bigint PRIMARY KEY, at timestamptz, body bytea, doc jsonb)`);
      expect(await adapter.schemaEditor!.refresh()).toBe(true);
      await pgQuery(URL, `INSERT INTO "${schema}".late VALUES (9007199254740993, '2024-05-06T07:08:09.123Z', '\\x0102', '{"a":[1,2]}')`);
      await pgQuery(URL, `UPDATE "${schema}".late SET doc = '{"b":true}'`);
      const events = await log.until((all) => all.filter((e) => e.table === 'late').length >= 2);
      const late = events.filter((e) => e.table === 'late');
      expect(late.map((e) => e.op)).toEqual(['INSERT', 'UPDATE']);
      expect(late[0]!.row).toEqual({ id: '9007199254740993', at: '2024-05-06T07:08:09.123Z', body: Buffer.from([1, 2]), doc: { a: [1, 2] } });
      expect(late[1]!.old).toMatchObject({ doc: { a: [1, 2] } });
      const triggers = await pgQuery(URL, `SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1`, [schema]);
      expect(triggers).toEqual([]);
      await feed.close();
    } finally {
      await cleanup();
    }
  });

  it('embedded, leaves nothing behind when the adapter closes: the slot was temporary, the publication goes', async () => {
    const schema = uniqueName('mobo_lc');
    await pgQuery(URL, `CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".t (id serial PRIMARY KEY)`);
    const config: SourceConfig = { kind: 'postgres', url: URL, namespace: schema, changes: 'logical', captureKey: uniqueName('test_lc') };
    const adapter = createAdapter(config);
    try {
      await adapter.connect();
      const feed = await adapter.watch(() => undefined);
      const slot = captureStats().find((s) => s.key === config.captureKey)!.slot!;
      expect(await pgQuery(URL, 'SELECT temporary FROM pg_replication_slots WHERE slot_name = $1', [slot])).toEqual([{ temporary: true }]);
      await feed.close();
      await adapter.close();
      // The server drops a temporary slot as its session ends, just after the client has gone.
      await waitFor(async () => (await pgQuery(URL, 'SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slot])).length === 0, 'the temporary slot is gone', 30_000);
      expect(await pgQuery(URL, 'SELECT 1 FROM pg_publication WHERE pubname = $1', [slot])).toEqual([]);
    } finally {
      await dropChangeCapture(config);
      await pgQuery(URL, `DROP SCHEMA "${schema}" CASCADE`);
    }
  });

  it('runs on triggers when asked', async () => {
    const { adapter, schema, config, cleanup } = await openSource({ changes: 'trigger' });
    try {
      await pgQuery(URL, `CREATE TABLE "${schema}".t (id serial PRIMARY KEY, note text)`);
      const log = new EventLog();
      const feed = await adapter.watch(log.push);
      expect(captureStats().find((s) => s.key === config.captureKey)).toMatchObject({ path: 'trigger' });
      await pgQuery(URL, `INSERT INTO "${schema}".t (note) VALUES ('x')`);
      await log.until((events) => events.some((e) => e.table === 't'));
      await feed.close();
    } finally {
      await cleanup();
    }
  });

  it('keeps logical readers to a quarter of the server budget: past it, auto runs on triggers and says why', async () => {
    // Its own server key (localhost, not 127.0.0.1), so the small budget is this test's alone.
    const small = URL.replace('127.0.0.1', 'localhost');
    const { adapter, schema, config, cleanup } = await openSource({ changes: 'auto', url: small, budget: { limit: 3 } }, small);
    try {
      await pgQuery(URL, `CREATE TABLE "${schema}".t (id serial PRIMARY KEY, note text)`);
      const log = new EventLog();
      const feed = await adapter.watch(log.push);
      expect(captureStats().find((s) => s.key === config.captureKey)).toMatchObject({ path: 'trigger', reason: expect.stringContaining('share of the connection budget') });
      await pgQuery(URL, `INSERT INTO "${schema}".t (note) VALUES ('x')`);
      await log.until((events) => events.some((e) => e.table === 't'));
      await feed.close();
    } finally {
      await cleanup();
    }
  });

  describe('a role without REPLICATION', () => {
    const role = uniqueName('mobo_norepl');
    const roleUrl = (() => {
      const u = new globalThis.URL(URL);
      u.username = role;
      return u.toString();
    })();
    afterAll(() => pgQuery(URL, `DROP ROLE IF EXISTS "${role}"`));

    it('auto falls back to triggers and says why; logical is refused naming ds.changes', async () => {
      await pgQuery(URL, `CREATE ROLE "${role}" LOGIN NOREPLICATION`);
      const auto = await openSource({ changes: 'auto', url: roleUrl }, roleUrl);
      try {
        await pgQuery(URL, `CREATE TABLE "${auto.schema}".t (id serial PRIMARY KEY, note text)`);
        await pgQuery(URL, `ALTER TABLE "${auto.schema}".t OWNER TO "${role}"`);
        const log = new EventLog();
        const feed = await auto.adapter.watch(log.push);
        expect(captureStats().find((s) => s.key === auto.config.captureKey)).toMatchObject({ path: 'trigger', reason: 'the role has no REPLICATION attribute' });
        await pgQuery(URL, `INSERT INTO "${auto.schema}".t (note) VALUES ('x')`);
        await log.until((events) => events.some((e) => e.table === 't'));
        await feed.close();
      } finally {
        await auto.cleanup();
      }
      const logical = await openSource({ changes: 'logical', url: roleUrl }, roleUrl);
      try {
        const err = await logical.adapter.watch(() => undefined).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isMoboError(err, 'DS_UNSUPPORTED')).toBe(true);
        expect((err as { details?: unknown }).details).toMatchObject({ field: 'ds.changes' });
      } finally {
        await logical.cleanup();
      }
    });
  });
});
