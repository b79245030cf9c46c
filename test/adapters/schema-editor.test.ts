import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapter } from '../../adapters/index.js';
import type { Adapter, SchemaEditor, SchemaOp } from '../../adapters/types.js';
import { schemaSource } from '../support/schema.js';

/** Every schema operation, on each SQL backend, with names holding quotes, dashes and unicode. */
describe.each(['postgres', 'sqlite', 'mysql'] as const)('schema editor on %s', (kind) => {
  let adapter: Adapter;
  let editor: SchemaEditor;
  let drop: () => Promise<void>;
  let namespace: string | undefined;
  const T = `to-do's "ü"`;
  const OWNERS = 'owners-Ω';
  const apply = async (op: SchemaOp) => editor.apply({ statements: await editor.plan(op) });

  beforeAll(async () => {
    const source = await schemaSource(kind);
    drop = source.drop;
    namespace = source.config.namespace;
    adapter = createAdapter(source.config);
    await adapter.connect();
    editor = adapter.schemaEditor!;
  });
  afterAll(async () => {
    await adapter?.close();
    await drop?.();
  });

  it('creates tables with identity, defaults, unique, check and a foreign key', async () => {
    await apply({ op: 'createTable', table: { name: OWNERS, columns: [{ name: 'id', type: 'integer', identity: true }, { name: 'e-mail', type: 'text', unique: true, nullable: false }] } });
    await apply({
      op: 'createTable',
      table: {
        name: T,
        columns: [
          { name: 'id', type: 'integer', identity: true },
          { name: 'ti"tle', type: 'text', nullable: false, default: "it's" },
          { name: 'done', type: 'boolean', default: false },
          { name: 'owner', type: 'integer' },
          { name: 'score', type: 'integer', check: kind === 'mysql' ? '`score` >= 0' : '"score" >= 0' },
        ],
        foreignKeys: [{ columns: ['owner'], references: { table: OWNERS, columns: ['id'] }, onDelete: 'cascade' }],
      },
    });
    const d = await editor.describe(T);
    expect(d.primaryKey).toEqual(['id']);
    expect(d.columns.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ['id', 'integer', false],
      ['ti"tle', 'text', false],
      ['done', 'boolean', true],
      ['owner', 'integer', true],
      ['score', 'integer', true],
    ]);
    expect(d.columns[0]!.identity).toBe(true);
    expect(d.columns[1]!.default).toMatch(/it(''|\\')s/);
    expect(d.foreignKeys).toMatchObject([{ columns: ['owner'], references: { table: OWNERS, columns: ['id'] }, onDelete: 'cascade' }]);
    expect(d.checks.some((c) => c.expression.includes('score'))).toBe(true);
    const [owner] = await adapter.insert(OWNERS, [{ 'e-mail': 'a@x' }], true);
    const [row] = await adapter.insert(T, [{ owner: owner!.id, score: 1 }], true);
    expect(row).toMatchObject({ 'ti"tle': "it's", done: false });
    await expect(adapter.insert(T, [{ score: -1 }])).rejects.toMatchObject({ code: 'DS_CONSTRAINT' });
    await expect(adapter.insert(OWNERS, [{ 'e-mail': 'a@x' }])).rejects.toMatchObject({ code: 'DS_CONFLICT' });
  });

  it('adds, alters, renames and drops columns', async () => {
    await apply({ op: 'addColumn', table: T, column: { name: 'note ✎', type: 'text' } });
    await apply({ op: 'addColumn', table: T, column: { name: 'rank', type: 'text', nullable: false, default: '7' } });
    await apply({ op: 'alterColumn', table: T, column: 'rank', type: 'integer' });
    let d = await editor.describe(T);
    expect(d.columns.find((c) => c.name === 'rank')).toMatchObject({ type: 'integer', nullable: false });
    // NOT NULL over a null value is refused, naming the column, and changes nothing.
    await expect(apply({ op: 'alterColumn', table: T, column: 'note ✎', nullable: false, default: 'none' })).rejects.toMatchObject({
      code: expect.stringMatching(/^DS_(CONSTRAINT|VALUE_INVALID)$/),
      message: expect.stringContaining('note ✎'),
    });
    await adapter.update({ table: T }, { 'note ✎': 'n' });
    await apply({ op: 'alterColumn', table: T, column: 'note ✎', nullable: false, default: 'none' });
    await apply({ op: 'renameColumn', table: T, column: 'note ✎', to: 'memo' });
    d = await editor.describe(T);
    expect(d.columns.find((c) => c.name === 'memo')).toMatchObject({ type: 'text', nullable: false });
    await apply({ op: 'dropColumn', table: T, column: 'memo' });
    d = await editor.describe(T);
    expect(d.columns.map((c) => c.name)).not.toContain('memo');
    // The rows and the foreign key survived every rebuild.
    expect(await adapter.count({ table: T })).toBe(1);
    expect(d.foreignKeys).toHaveLength(1);
    expect((await adapter.select({ table: T }))[0]).toMatchObject({ rank: 7, score: 1 });
  });

  it('an uncastable column is refused naming it, and nothing changes', async () => {
    await apply({ op: 'addColumn', table: T, column: { name: 'word', type: 'text' } });
    await adapter.update({ table: T }, { word: 'abc' });
    const before = await editor.describe(T);
    const err = await apply({ op: 'alterColumn', table: T, column: 'word', type: 'integer' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: expect.stringMatching(/^DS_(VALUE_INVALID|QUERY_INVALID|CONSTRAINT)$/) });
    expect(await editor.describe(T)).toEqual(before);
    expect((await adapter.select({ table: T }))[0]).toMatchObject({ word: 'abc' });
  });

  it('creates and drops indexes (unique, multi-column)', async () => {
    await apply({ op: 'createIndex', table: T, columns: ['owner', 'score'] });
    await apply({ op: 'createIndex', table: T, columns: ['ti"tle'], unique: true, name: 'title-uniq' });
    let d = await editor.describe(T);
    expect(d.indexes).toEqual(expect.arrayContaining([
      expect.objectContaining({ columns: ['owner', 'score'], unique: false }),
      expect.objectContaining({ name: 'title-uniq', columns: ['ti"tle'], unique: true }),
    ]));
    await expect(adapter.insert(T, [{ 'ti"tle': "it's" }])).rejects.toMatchObject({ code: 'DS_CONFLICT' });
    await apply({ op: 'dropIndex', table: T, index: 'title-uniq' });
    d = await editor.describe(T);
    expect(d.indexes.map((i) => i.name)).not.toContain('title-uniq');
  });

  it('views', async () => {
    const q = kind === 'mysql' ? (s: string) => `\`${s}\`` : (s: string) => `"${s.replace(/"/g, '""')}"`;
    await apply({ op: 'createView', view: 'open-todos', select: `SELECT ${q('id')} FROM ${namespace ? `${q(namespace)}.` : ''}${q(T)} WHERE ${q('done')} = ${kind === 'postgres' ? 'false' : '0'}` });
    await apply({ op: 'dropView', view: 'open-todos' });
  });

  it('renames and drops tables; clashes and unknown names are refused naming them', async () => {
    await expect(editor.plan({ op: 'createTable', table: { name: T, columns: [{ name: 'x', type: 'text' }] } })).rejects.toMatchObject({ code: 'DS_CONFLICT', details: { table: T } });
    await expect(editor.plan({ op: 'renameTable', table: T, to: OWNERS })).rejects.toMatchObject({ code: 'DS_CONFLICT', details: { table: OWNERS } });
    await expect(editor.plan({ op: 'addColumn', table: T, column: { name: 'score', type: 'text' } })).rejects.toMatchObject({ code: 'DS_CONFLICT', details: { column: 'score' } });
    await expect(editor.plan({ op: 'dropColumn', table: T, column: 'nope' })).rejects.toMatchObject({ code: 'DS_COLUMN_NOT_FOUND', details: { column: 'nope' } });
    await expect(editor.plan({ op: 'dropTable', table: 'nope' })).rejects.toMatchObject({ code: 'DS_TABLE_NOT_FOUND', details: { table: 'nope' } });
    await apply({ op: 'renameTable', table: T, to: 'todos-2' });
    expect((await adapter.introspect()).tables.map((t) => t.name)).toContain('todos-2');
    await apply({ op: 'dropTable', table: 'todos-2' });
    expect((await adapter.introspect()).tables.map((t) => t.name)).not.toContain('todos-2');
  });
});
