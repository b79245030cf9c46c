import { describe, expect, it } from 'vitest';
import { compareTables } from '../../actors/schema/diff.js';
import { namesNamespace } from '../../adapters/sql/schema-editor.js';
import type { DescribedTable } from '../../adapters/types.js';

describe('db:diff rules', () => {
  const table = (over: Partial<DescribedTable> = {}): DescribedTable => ({
    name: 't',
    columns: [
      { name: 'id', type: 'integer', nativeType: 'bigint', nullable: false, default: "nextval('t_id_seq'::regclass)", identity: true },
      { name: 'title', type: 'text', nativeType: 'text', nullable: false, default: null, identity: false },
    ],
    primaryKey: ['id'],
    foreignKeys: [{ name: 't_owner_fkey', columns: ['id'], references: { table: 'u', columns: ['id'] }, onDelete: 'cascade', onUpdate: 'no action' }],
    indexes: [{ name: 't_title_idx', columns: ['title'], unique: false }],
    checks: [{ name: 't_check', expression: 'length(title) > 0' }],
    ...over,
  });

  it('finds no difference between equal tables, whatever schema a sequence name is qualified by', () => {
    const live = table();
    live.columns[0] = { ...live.columns[0]!, default: `nextval('"mobo ns".t_id_seq'::regclass)` };
    expect(compareTables(table(), live)).toEqual([]);
  });

  it('names each difference: type, nullability, default, columns, key, indexes, foreign keys, checks', () => {
    const live = table({
      columns: [
        { name: 'id', type: 'integer', nativeType: 'integer', nullable: false, default: null, identity: false },
        { name: 'title', type: 'text', nativeType: 'text', nullable: true, default: "'x'::text", identity: false },
        { name: 'extra', type: 'json', nativeType: 'jsonb', nullable: true, default: null, identity: false },
      ],
      primaryKey: [],
      foreignKeys: [],
      indexes: [{ name: 't_title_idx', columns: ['title'], unique: true }],
      checks: [],
    });
    expect(compareTables(table(), live)).toEqual([
      'column id: type integer in the database, bigint in the migrations',
      "column id: default none in the database, nextval('t_id_seq'::regclass) in the migrations",
      'column id: identity no identity in the database, identity in the migrations',
      'column title: null nullable in the database, not null in the migrations',
      "column title: default 'x'::text in the database, none in the migrations",
      'column extra: in the database, made by no migration',
      'primary key: () in the database, (id) in the migrations',
      'index t_title_idx (title): missing in the database',
      'index unique t_title_idx (title): in the database, made by no migration',
      'foreign key (id) → u (id) on delete cascade on update no action: missing in the database',
      'check length(title) > 0: missing in the database',
    ]);
  });

  it('sees a statement that names the live schema, quoted or not, outside string literals', () => {
    expect(namesNamespace('CREATE TABLE public.todos (id int)', 'public')).toBe(true);
    expect(namesNamespace('ALTER TABLE "Shop Data"."t" ADD x int', 'Shop Data')).toBe(true);
    expect(namesNamespace('DROP TABLE `shop`.`t`', 'shop')).toBe(true);
    expect(namesNamespace("INSERT INTO t VALUES ('public.x')", 'public')).toBe(false);
    expect(namesNamespace('CREATE TABLE republic.t (id int)', 'public')).toBe(false);
    expect(namesNamespace('CREATE TABLE t (public_id int)', 'public')).toBe(false);
  });
});
