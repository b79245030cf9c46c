/**
 * `db:diff`: the live schema against the schema the migrations make (rehearsed in a scratch
 * place beside the source, SchemaEditor.rehearse), table by table: columns (type, nullability,
 * default, identity), primary key, indexes, foreign keys and checks.
 */
import type { DescribedTable, Rehearsal } from '../../adapters/index.js';
import type { MigrationStatus } from './migrations.js';

export interface DiffReport {
  /** Tables the migrations make that the live schema lacks. */
  missing: string[];
  /** Live tables no migration makes (made by the schema API or outside: `migrate:new` to keep them). */
  extra: string[];
  /** Tables in both whose shapes differ, each difference in words ("column title: nullable in the database, not null in the migrations"). */
  different: Array<{ table: string; differences: string[] }>;
  pending: string[];
  changed: string[];
  /** The migration the rehearsal stopped at (the tables compared are those made before it). */
  failed?: { migration: string; message: string };
}

/** Tables MagMoBoMini keeps for itself in a source. */
const OWN = new Set(['mobo_migrations', 'mobo_changes']);
export const isOwnTable = (name: string): boolean => OWN.has(name);

export function diffSchemas(rehearsal: Rehearsal, live: readonly DescribedTable[], status: readonly MigrationStatus[]): DiffReport {
  const made = new Map(rehearsal.tables.map((t) => [t.name, t]));
  const here = new Map(live.filter((t) => !isOwnTable(t.name)).map((t) => [t.name, t]));
  const different: DiffReport['different'] = [];
  for (const [name, expected] of made) {
    const actual = here.get(name);
    if (!actual) continue;
    const differences = compareTables(expected, actual);
    if (differences.length > 0) different.push({ table: name, differences });
  }
  return {
    missing: [...made.keys()].filter((t) => !here.has(t)).sort(),
    extra: [...here.keys()].filter((t) => !made.has(t)).sort(),
    different: different.sort((a, b) => a.table.localeCompare(b.table)),
    pending: status.filter((s) => s.status === 'pending').map((s) => s.id),
    changed: status.filter((s) => s.status === 'changed').map((s) => s.id),
    ...(rehearsal.failed ? { failed: rehearsal.failed } : {}),
  };
}

/** What differs between the table the migrations make and the live one, in words. */
export function compareTables(expected: DescribedTable, actual: DescribedTable): string[] {
  const out: string[] = [];
  const live = new Map(actual.columns.map((c) => [c.name, c]));
  for (const want of expected.columns) {
    const have = live.get(want.name);
    if (!have) {
      out.push(`column ${want.name}: missing in the database`);
      continue;
    }
    const aspects: Array<[string, string, string]> = [
      ['type', want.nativeType.toLowerCase(), have.nativeType.toLowerCase()],
      ['null', want.nullable ? 'nullable' : 'not null', have.nullable ? 'nullable' : 'not null'],
      ['default', plainDefault(want.default), plainDefault(have.default)],
      ['identity', want.identity ? 'identity' : 'no identity', have.identity ? 'identity' : 'no identity'],
    ];
    for (const [aspect, w, h] of aspects) if (w !== h) out.push(`column ${want.name}: ${aspect} ${h} in the database, ${w} in the migrations`);
  }
  const wanted = new Set(expected.columns.map((c) => c.name));
  for (const c of actual.columns) if (!wanted.has(c.name)) out.push(`column ${c.name}: in the database, made by no migration`);
  if (expected.primaryKey.join(',') !== actual.primaryKey.join(',')) out.push(`primary key: (${actual.primaryKey.join(', ')}) in the database, (${expected.primaryKey.join(', ')}) in the migrations`);
  compareSets(out, 'index', expected.indexes.map((i) => `${i.unique ? 'unique ' : ''}${i.name} (${i.columns.join(', ')})`), actual.indexes.map((i) => `${i.unique ? 'unique ' : ''}${i.name} (${i.columns.join(', ')})`));
  const fk = (f: DescribedTable['foreignKeys'][number]) => `(${f.columns.join(', ')}) → ${f.references.table} (${f.references.columns.join(', ')}) on delete ${f.onDelete} on update ${f.onUpdate}`;
  compareSets(out, 'foreign key', expected.foreignKeys.map(fk), actual.foreignKeys.map(fk));
  compareSets(out, 'check', expected.checks.map((c) => c.expression), actual.checks.map((c) => c.expression));
  return out;
}

function compareSets(out: string[], what: string, expected: string[], actual: string[]): void {
  const have = new Set(actual);
  const want = new Set(expected);
  for (const e of expected) if (!have.has(e)) out.push(`${what} ${e}: missing in the database`);
  for (const a of actual) if (!want.has(a)) out.push(`${what} ${a}: in the database, made by no migration`);
}

/** A default as SQL text, without the schema a Postgres sequence name is qualified by (the scratch place's is not the source's). */
function plainDefault(value: string | null): string {
  if (value === null) return 'none';
  return value.replace(/nextval\('(?:"[^"]*"|[^'".]*)\./g, "nextval('");
}
