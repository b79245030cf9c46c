import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import type { TableInfo } from '../../adapters/types.js';
import { tempDir } from '../support/cli.js';
import { startTestNode } from '../support/node.js';
import { availableSources } from '../support/sources.js';
import { waitFor } from '../support/wait.js';

const people = (name: string): TableInfo => ({
  name,
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false },
    { name: 'name', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
    { name: 'age', type: 'integer', nativeType: 'integer', nullable: true, hasDefault: false },
  ],
});

describe('MagDS: projects with several live sources', () => {
  const dir = tempDir('mobo-ds-');
  const sources = availableSources(dir);
  const kinds = Object.keys(sources);
  const suffix = Math.random().toString(36).slice(2, 8);
  const table = `mobo_people_${suffix}`;
  let node: MoboNode;
  const catalog = () => node.system.ref(node.address('catalog'));
  const data = (source: string) => new DataClient(node.system.ref(sourceAddress('shop', source)));
  const created: Array<[string, string]> = [];

  beforeAll(async () => {
    node = await startTestNode({}, dir);
    await catalog().ask('project.create', { project: 'shop' });
    for (const kind of kinds) {
      const s = sources[kind]!;
      await catalog().ask('source.add', { project: 'shop', name: kind, kind: s.kind, url: s.url, ...(s.namespace ? { namespace: s.namespace } : {}) }, { timeoutMs: 15_000 });
    }
  });
  afterAll(async () => {
    for (const [source, t] of created) await data(source).dropTable(t).catch(() => undefined);
    await node?.stop();
  });

  it('serves every backend of one project at the same time, with the same answers', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, name: `person ${i + 1}`, age: i % 2 === 0 ? 20 + i : null }));
    await Promise.all(
      kinds.map(async (kind) => {
        await data(kind).createTable(people(table));
        created.push([kind, table]);
        await data(kind).insert(table, rows, false);
      }),
    );
    const query = { table, columns: ['id', 'name', 'age'], where: { op: 'and' as const, filters: [{ op: 'gte' as const, column: 'id', value: 5 }, { op: 'is' as const, column: 'age', value: null }] }, order: [{ column: 'id', direction: 'desc' as const }], limit: 5 };
    const answers = await Promise.all(kinds.map((kind) => data(kind).select(query)));
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0]!.map((r) => r.id)).toEqual([30, 28, 26, 24, 22]);
  });

  it('lists sources without their credentials, and keeps credentials sealed at rest', async () => {
    const listed = await catalog().ask<Array<{ name: string; location: string }>>('source.list', { project: 'shop' });
    expect(listed.map((s) => s.name).sort()).toEqual([...kinds].sort());
    await catalog().ask('source.add', { project: 'shop', name: 'secretive', kind: 'postgres', url: 'postgres://app:hunter2-pass@127.0.0.1:1/x', test: false });
    const again = await catalog().ask<Array<{ name: string; location: string }>>('source.list', { project: 'shop' });
    expect(again.find((s) => s.name === 'secretive')?.location).toBe('postgres://app:***@127.0.0.1:1/x');
    expect(readFileSync(join(dir, 'control.db')).includes('hunter2-pass')).toBe(false);
    await catalog().ask('source.remove', { project: 'shop', name: 'secretive' });
  });

  it('answers DS_UNAVAILABLE at once for a source that is down, without hanging or taking the node down', async () => {
    await catalog().ask('source.add', { project: 'shop', name: 'gone', kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/test', test: false });
    await expect(data('gone').select({ table: 'anything' })).rejects.toMatchObject({ code: 'DS_UNAVAILABLE' });
    await expect(catalog().ask('source.test', { project: 'shop', name: 'gone' })).resolves.toMatchObject({ connected: false });
    expect(node.tree.state).toBe('running');
    await catalog().ask('source.remove', { project: 'shop', name: 'gone' });
  });

  it('refuses to add a source it cannot reach, and bad names, with clear codes', async () => {
    await expect(catalog().ask('source.add', { project: 'shop', name: 'nope', kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/test' }, { timeoutMs: 15_000 })).rejects.toMatchObject({
      code: 'DS_UNAVAILABLE',
    });
    await expect(catalog().ask('source.add', { project: 'shop', name: 'Bad Name', kind: 'sqlite', url: ':memory:' })).rejects.toMatchObject({ code: 'MESSAGE_INVALID' });
    await expect(catalog().ask('source.add', { project: 'ghost', name: 'x', kind: 'sqlite', url: ':memory:' })).rejects.toMatchObject({ code: 'DS_PROJECT_NOT_FOUND' });
    await expect(catalog().ask('source.add', { project: 'shop', name: 'sqlite', kind: 'sqlite', url: ':memory:' })).rejects.toMatchObject({ code: 'DS_SOURCE_EXISTS' });
    const listed = await catalog().ask<unknown[]>('source.list', { project: 'shop' });
    expect(listed).toHaveLength(kinds.length);
  });

  it('keeps hostile identifiers away from the database', async () => {
    for (const kind of kinds) {
      await expect(data(kind).select({ table: `${table}; DROP TABLE ${table}; --` })).rejects.toMatchObject({ code: 'DS_TABLE_NOT_FOUND' });
      await expect(data(kind).select({ table, columns: ['id", (select 1) as "x'] })).rejects.toMatchObject({ code: 'DS_COLUMN_NOT_FOUND' });
      expect(await data(kind).count(table)).toBe(30);
    }
  });

  it('survives pg_terminate_backend on every connection of the source', async () => {
    const sourceUrl = new URL(sources.postgres!.url);
    const app = sourceUrl.searchParams.get('application_name');
    sourceUrl.search = '';
    const admin = new pg.Client({ connectionString: sourceUrl.toString() });
    await admin.connect();
    try {
      await data('postgres').select({ table, limit: 1 });
      const killed = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [app]);
      expect(killed.rowCount).toBeGreaterThan(0);
      const rows = await waitFor(
        () => data('postgres').select({ table, where: { op: 'eq', column: 'id', value: 3 } }).catch((err: { code?: string }) => {
          if (err.code !== 'DS_UNAVAILABLE' && err.code !== 'ACTOR_CRASHED') throw err;
          return undefined;
        }),
        'postgres source to serve again',
      );
      expect(rows).toEqual([{ id: 3, name: 'person 3', age: 22 }]);
    } finally {
      await admin.end();
    }
    expect(node.tree.state).toBe('running');
  });

  it('copies a table between every pair of sources with equal query results', async () => {
    const source = `mobo_copy_src_${suffix}`;
    const rows = Array.from({ length: 25 }, (_, i) => ({ id: i + 1, name: `n'${i}"; --`, age: i === 3 ? null : i }));
    await Promise.all(
      kinds.map(async (kind) => {
        await data(kind).createTable(people(source));
        created.push([kind, source]);
        await data(kind).insert(source, rows, false);
      }),
    );
    const all = { table: source, order: [{ column: 'id', direction: 'asc' as const }] };
    const expected = await data('sqlite').select(all);
    for (const from of kinds) {
      for (const to of kinds) {
        if (from === to) continue;
        const toTable = `mobo_copy_${from}_${to}_${suffix}`;
        created.push([to, toTable]);
        const job = await node.system.ref(node.address('bridge')).ask<{ id: string }>('bridge.copy', { project: 'shop', from, table: source, to, toTable, batchSize: 7 });
        const done = await node.system.events.once<{ id: string; state: string }>('job.bridge.>', (e) => e.payload.id === job.id && e.payload.state !== 'running');
        expect(done.payload).toMatchObject({ state: 'done', progress: { copied: 25 } });
        expect(await data(to).select({ ...all, table: toTable })).toEqual(expected);
      }
    }
  });

  it('publishes changes made through mobo on the event bus', async () => {
    const change = node.system.events.once<{ op: string; row: { id: number } }>(`data.shop.sqlite.${table}`, (e) => e.payload.op === 'INSERT');
    await data('sqlite').insert(table, [{ id: 1000, name: 'late', age: 1 }], false);
    expect((await change).payload).toMatchObject({ project: 'shop', source: 'sqlite', table, op: 'INSERT', row: { id: 1000 } });
  });

  it('brings every source back after a restart of the node', async () => {
    await node.stop();
    node = await startTestNode({}, dir);
    expect(await data('sqlite').count(table)).toBeGreaterThanOrEqual(30);
    const names = node.tree.names().filter((n) => n.startsWith('shop.'));
    expect(names.sort()).toEqual(kinds.map((k) => `shop.${k}`).sort());
  });
});
