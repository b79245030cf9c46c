/**
 * The schema API and migrations on a SQL backend: operations planned as statements against the
 * live schema (every name checked before anything runs, which is all MariaDB's non-transactional
 * DDL allows), then applied in one transaction where the DDL is transactional. SQLite's
 * ALTER TABLE gaps are filled by a table rebuild (sqlite.org/lang_altertable.html, "other kinds").
 */
import { MoboError, isMoboError } from '../../runtime/index.js';
import { LocalChangeSource, type ChangeSource } from '../changes.js';
import { SchemaCache } from '../schema-cache.js';
import type { AppliedMigration, ColumnSpec, DescribedTable, MigrateOptions, MigrationStep, Rehearsal, SchemaChange, SchemaEditor, SchemaOp, TableInfo } from '../types.js';
import { columnSql, columnType, compileCreateTable, compileTableSpec, defaultSql, foreignKeySql } from './ddl.js';
import { describeTable } from './describe-table.js';
import type { SqlDriver, SqlRunner } from './driver.js';

export const MIGRATIONS_TABLE = 'mobo_migrations';
const MIGRATIONS: TableInfo = {
  name: MIGRATIONS_TABLE,
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
    { name: 'checksum', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
    { name: 'applied_at', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
  ],
};
/** How long a second migration run waits for the first's lock. */
const LOCK_WAIT_S = 30;
const FK_PRAGMA = /^PRAGMA foreign_keys\s*=\s*(ON|OFF)$/i;

export class SqlSchemaEditor implements SchemaEditor {
  readonly transactional: boolean;
  /** The schema as the last refresh found it, and the tables change capture follows. */
  private known: string | undefined;
  private seen: Set<string> | undefined;

  constructor(
    private readonly driver: SqlDriver,
    private readonly schema: SchemaCache,
    private readonly changes: ChangeSource,
  ) {
    this.transactional = driver.dialect.name !== 'mysql';
  }

  private get q() {
    return this.driver.dialect.quote;
  }

  private ref = (table: string): string => this.driver.tableRef(table);

  async describe(table: string): Promise<DescribedTable> {
    const info = await this.table(table);
    return describeTable(this.driver.dialect.name, this.driver.runner, this.ref(info.name), info);
  }

  async plan(op: SchemaOp): Promise<string[]> {
    await this.schema.get(true);
    const { dialect } = this.driver;
    const sqlite = dialect.name === 'sqlite';
    switch (op.op) {
      case 'createTable': {
        const spec = op.table;
        this.name(spec.name, 'name');
        await this.absent(spec.name);
        if (spec.columns.length === 0) throw invalid('A table needs at least one column', { field: 'columns' });
        const seen = new Set<string>();
        for (const c of spec.columns) {
          this.name(c.name, 'columns.name');
          if (seen.has(c.name)) throw new MoboError('DS_CONFLICT', `Column "${c.name}" is declared twice`, { details: { column: c.name } });
          seen.add(c.name);
          if (c.identity && c.type !== 'integer') throw invalid(`Only an integer column can be an identity ("${c.name}" is ${c.type})`, { field: 'identity', column: c.name });
        }
        for (const k of spec.primaryKey ?? []) if (!seen.has(k)) throw columnMissing(spec.name, k, 'primaryKey');
        for (const fk of spec.foreignKeys ?? []) {
          for (const c of fk.columns) if (!seen.has(c)) throw columnMissing(spec.name, c, 'foreignKeys.columns');
          const target = fk.references.table === spec.name ? undefined : await this.table(fk.references.table);
          for (const c of fk.references.columns) if (target ? !target.columns.some((t) => t.name === c) : !seen.has(c)) throw columnMissing(fk.references.table, c, 'foreignKeys.references.columns');
        }
        return [compileTableSpec(dialect, this.ref, spec)];
      }
      case 'renameTable': {
        const info = await this.table(op.table);
        this.name(op.to, 'name');
        await this.absent(op.to);
        return [`ALTER TABLE ${this.ref(info.name)} RENAME TO ${this.q(op.to)}`];
      }
      case 'dropTable':
        return [`DROP TABLE ${this.ref((await this.table(op.table)).name)}`];
      case 'addColumn': {
        const d = await this.describe(op.table);
        this.name(op.column.name, 'name');
        if (d.columns.some((c) => c.name === op.column.name)) throw new MoboError('DS_CONFLICT', `Table "${d.name}" already has a column "${op.column.name}"`, { details: { table: d.name, column: op.column.name } });
        if (op.column.identity && op.column.type !== 'integer') throw invalid('Only an integer column can be an identity', { field: 'identity', column: op.column.name });
        const keyed = op.column.primaryKey === true || op.column.identity === true;
        if (keyed && d.primaryKey.length > 0) throw new MoboError('DS_CONFLICT', `Table "${d.name}" already has a primary key (${d.primaryKey.join(', ')})`, { details: { table: d.name, primaryKey: d.primaryKey } });
        if (sqlite && (keyed || (op.column.nullable === false && op.column.default === undefined))) {
          return this.rebuild(d, { add: op.column });
        }
        if (sqlite && op.column.unique) {
          const { unique: _unique, ...plain } = op.column;
          return [`ALTER TABLE ${this.ref(d.name)} ADD COLUMN ${columnSql(dialect, plain, false)}`, `CREATE UNIQUE INDEX ${this.q(indexName(d.name, [op.column.name], true))} ON ${this.q(d.name)} (${this.q(op.column.name)})`];
        }
        const add = `ALTER TABLE ${this.ref(d.name)} ADD COLUMN ${columnSql(dialect, op.column, keyed)}`;
        return keyed ? [`${add}, ADD PRIMARY KEY (${this.q(op.column.name)})`] : [add];
      }
      case 'alterColumn': {
        const d = await this.describe(op.table);
        const column = this.column(d, op.column);
        if (op.type === undefined && op.nullable === undefined && op.default === undefined) throw invalid('Say what to change: type, nullable or default', { field: 'type' });
        if (sqlite) {
          if (op.type !== undefined) await this.castable(d.name, column.name, op.type);
          return this.rebuild(d, { alter: op });
        }
        if (dialect.name === 'mysql') {
          const keyed = d.primaryKey.includes(column.name) || d.indexes.some((i) => i.columns.includes(column.name));
          const type = op.type !== undefined ? columnType(dialect, { type: op.type }, keyed) : column.nativeType;
          const nullable = op.nullable ?? column.nullable;
          const def = op.default !== undefined ? defaultSql(dialect, op.default) : column.default;
          return [`ALTER TABLE ${this.ref(d.name)} MODIFY COLUMN ${this.q(column.name)} ${type}${nullable ? ' NULL' : ' NOT NULL'}${def !== null && op.default !== null ? ` DEFAULT ${def}` : ''}${column.identity ? ' AUTO_INCREMENT' : ''}`];
        }
        const col = this.q(column.name);
        const clauses: string[] = [];
        if (op.type !== undefined) {
          const type = columnType(dialect, { type: op.type }, false);
          if (column.default !== null && op.default === undefined && !column.identity) clauses.push(`ALTER COLUMN ${col} DROP DEFAULT`);
          clauses.push(`ALTER COLUMN ${col} TYPE ${type} USING ${col}::${type}`);
          if (column.default !== null && op.default === undefined && !column.identity) clauses.push(`ALTER COLUMN ${col} SET DEFAULT (${column.default})::${type}`);
        }
        if (op.nullable !== undefined) clauses.push(`ALTER COLUMN ${col} ${op.nullable ? 'DROP' : 'SET'} NOT NULL`);
        if (op.default !== undefined) clauses.push(op.default === null ? `ALTER COLUMN ${col} DROP DEFAULT` : `ALTER COLUMN ${col} SET DEFAULT ${defaultSql(dialect, op.default)}`);
        return [`ALTER TABLE ${this.ref(d.name)} ${clauses.join(', ')}`];
      }
      case 'renameColumn': {
        const d = await this.describe(op.table);
        const column = this.column(d, op.column);
        this.name(op.to, 'name');
        if (d.columns.some((c) => c.name === op.to)) throw new MoboError('DS_CONFLICT', `Table "${d.name}" already has a column "${op.to}"`, { details: { table: d.name, column: op.to } });
        return [`ALTER TABLE ${this.ref(d.name)} RENAME COLUMN ${this.q(column.name)} TO ${this.q(op.to)}`];
      }
      case 'dropColumn': {
        const d = await this.describe(op.table);
        const column = this.column(d, op.column);
        if (d.columns.length === 1) throw invalid(`"${column.name}" is the last column of "${d.name}": drop the table instead`, { field: 'column', column: column.name });
        const constrained = d.primaryKey.includes(column.name) || d.indexes.some((i) => i.columns.includes(column.name)) || d.foreignKeys.some((f) => f.columns.includes(column.name));
        if (sqlite && constrained) return this.rebuild(d, { drop: column.name });
        return [`ALTER TABLE ${this.ref(d.name)} DROP COLUMN ${this.q(column.name)}`];
      }
      case 'createIndex': {
        const d = await this.describe(op.table);
        for (const c of op.columns) this.column(d, c);
        if (op.columns.length === 0) throw invalid('An index needs at least one column', { field: 'columns' });
        const name = op.name ?? indexName(d.name, op.columns, op.unique === true);
        this.name(name, 'name');
        if (d.indexes.some((i) => i.name === name)) throw new MoboError('DS_CONFLICT', `Table "${d.name}" already has an index "${name}"`, { details: { table: d.name, index: name } });
        const cols = op.columns.map((c) => {
          const native = d.columns.find((x) => x.name === c)!.nativeType.toLowerCase();
          // MariaDB indexes TEXT/BLOB by a prefix (a UNIQUE one is kept whole, as a hash).
          return dialect.name === 'mysql' && !op.unique && /text|blob/.test(native) ? `${this.q(c)}(255)` : this.q(c);
        });
        return [`CREATE ${op.unique ? 'UNIQUE ' : ''}INDEX ${this.q(name)} ON ${this.ref(d.name)} (${cols.join(', ')})`];
      }
      case 'dropIndex': {
        const d = await this.describe(op.table);
        const index = d.indexes.find((i) => i.name === op.index);
        if (!index) throw new MoboError('DS_TABLE_NOT_FOUND', `Table "${d.name}" has no index "${op.index}"`, { details: { table: d.name, index: op.index } });
        if (dialect.name === 'mysql') return [`DROP INDEX ${this.q(index.name)} ON ${this.ref(d.name)}`];
        if (index.constraint && sqlite) return this.rebuild(d, { dropIndex: index.name });
        if (index.constraint) return [`ALTER TABLE ${this.ref(d.name)} DROP CONSTRAINT ${this.q(index.name)}`];
        return [`DROP INDEX ${this.qualified(d.name, index.name)}`];
      }
      case 'createView':
        this.name(op.view, 'name');
        await this.absent(op.view);
        return [`CREATE VIEW ${this.ref(op.view)} AS ${op.select}`];
      case 'dropView':
        this.name(op.view, 'view');
        return [`DROP VIEW ${this.ref(op.view)}`];
    }
  }

  async apply(change: SchemaChange): Promise<void> {
    try {
      await this.inPragmas(change.statements, (statements, rebuilds) =>
        this.driver.transaction(async (runner) => {
          for (const sql of statements) await run(runner, sql);
          if (rebuilds) await this.foreignKeyCheck(runner);
        }),
      );
    } finally {
      this.schema.invalidate();
    }
    await this.follow();
  }

  async migrate(steps: readonly MigrationStep[], options: MigrateOptions = {}): Promise<{ applied: string[] }> {
    const applied: string[] = [];
    try {
      await this.driver.session(async (runner) => {
        const release = await this.lock(runner, options.lockWaitSeconds ?? LOCK_WAIT_S);
        try {
          await run(runner, this.createMigrationsTable());
          // Under the lock nobody else migrates: what is recorded now stays true for the run (SQLite re-reads per step: its lock is each BEGIN IMMEDIATE).
          const recorded = this.driver.dialect.name === 'sqlite' ? undefined : await this.recorded(runner);
          for (const step of steps) {
            const done = await this.step(runner, step, recorded).catch((err: unknown) => {
              throw stepFailed(err, step.id, applied);
            });
            if (done) applied.push(step.id);
          }
        } finally {
          await release();
        }
      });
    } finally {
      this.schema.invalidate();
    }
    await this.follow();
    return { applied };
  }

  async rehearse(steps: readonly MigrationStep[]): Promise<Rehearsal> {
    // A statement naming the live schema (or database) would reach past the scratch place: the rehearsal stops before it.
    const live = await this.liveNamespaces();
    const reaching = steps.findIndex((step) => step.statements.some((sql) => live.some((ns) => namesNamespace(sql, ns))));
    const safe = reaching < 0 ? steps : steps.slice(0, reaching);
    const stage = await this.driver.openStage();
    try {
      const schema = new SchemaCache(() => stage.driver.loadSchema());
      const scratch = new SqlSchemaEditor(stage.driver, schema, new LocalChangeSource());
      let failed: Rehearsal['failed'] =
        reaching < 0 ? undefined : { migration: steps[reaching]!.id, message: `It names the source's schema or database (${live.join(' or ')}) explicitly; db:diff rehearses only what stays in its scratch place` };
      await scratch.migrate(safe).catch((err: unknown) => {
        if (!isMoboError(err)) throw err;
        const { migration } = (err.details ?? {}) as { migration?: unknown };
        failed = { migration: typeof migration === 'string' ? migration : '', message: err.message };
      });
      const tables = (await schema.get(true)).tables.filter((t) => t.name !== MIGRATIONS_TABLE);
      return { tables: await Promise.all(tables.map((t) => scratch.describe(t.name))), ...(failed ? { failed } : {}) };
    } finally {
      await stage.discard();
    }
  }

  /** The namespaces a qualified name in a migration could reach the live tables through. */
  private async liveNamespaces(): Promise<string[]> {
    switch (this.driver.dialect.name) {
      case 'postgres':
        return [...new Set([this.driver.namespace ?? 'public', 'public'])];
      case 'mysql':
        return [String((await this.driver.runner.run({ sql: 'SELECT DATABASE() AS db', params: [] })).rows[0]?.db)];
      case 'sqlite':
        return []; // `main.` in the scratch file is the scratch file
    }
  }

  async migrations(): Promise<AppliedMigration[]> {
    await this.driver.runner.run({ sql: this.createMigrationsTable(), params: [] });
    const { rows } = await this.driver.runner.run({ sql: `SELECT id, checksum, applied_at FROM ${this.ref(MIGRATIONS_TABLE)} ORDER BY id`, params: [] });
    return rows.map((r) => ({ id: String(r.id), checksum: String(r.checksum), appliedAt: String(r.applied_at) }));
  }

  async refresh(): Promise<boolean> {
    const now = fingerprint((await this.schema.get(true)).tables);
    const changed = this.known !== undefined && now !== this.known;
    this.known = now;
    await this.follow();
    return changed;
  }

  /**
   * Change capture follows the tables it has not seen yet (Postgres installs their triggers, all
   * in one statement): made here, by a migration, on another node or outside. The first time,
   * every table (the feed installed its triggers when it started; installing again is harmless).
   */
  private async follow(): Promise<void> {
    const tables = (await this.schema.get()).tables;
    await this.changes.tablesCreated?.(tables.filter((t) => !this.seen?.has(t.name)));
    this.seen = new Set(tables.map((t) => t.name));
  }

  /**
   * SQLite takes `PRAGMA foreign_keys` outside a transaction only: a rebuild's first and last
   * statements run around `body` (the rest), the last one whatever happens.
   */
  private async inPragmas<T>(all: readonly string[], body: (statements: string[], rebuilds: boolean) => Promise<T>, runner: SqlRunner = this.driver.runner): Promise<T> {
    const statements = [...all];
    const pre = statements.length > 0 && FK_PRAGMA.test(statements[0]!) ? [statements.shift()!] : [];
    const post = statements.length > 0 && FK_PRAGMA.test(statements.at(-1)!) ? [statements.pop()!] : [];
    try {
      for (const sql of pre) await runner.run({ sql, params: [] });
      return await body(statements, sqlite(this.driver) && pre.length > 0);
    } finally {
      for (const sql of post) await runner.run({ sql, params: [] }).catch(() => undefined);
    }
  }

  /**
   * One migration step in a transaction of its own on the run's connection: BEGIN with the
   * source's search path, its statements, its `mobo_migrations` row and COMMIT. Postgres takes
   * it all in one round trip (a simple query of several statements), and only when it fails
   * runs the statements again one by one, rolled back, to name the one that failed; the other
   * backends run them one by one.
   */
  private async step(runner: SqlRunner, step: MigrationStep, recorded: Map<string, string> | undefined): Promise<boolean> {
    return this.inPragmas(
      step.statements,
      async (statements, rebuilds) => {
        // Under the run's lock what is recorded stays true (Postgres, MariaDB): a step done already is skipped before its BEGIN.
        if (recorded && !this.due(step, recorded)) return false;
        try {
          if (this.driver.dialect.name === 'postgres') {
            // A newline before each semicolon: a statement ending in a -- comment cannot swallow it.
            await runner.run({ sql: [this.begin(), ...statements, this.recordSql(step), 'COMMIT'].join('\n;\n'), params: [] }).catch(async (err: unknown) => {
              throw await this.namedFailure(runner, statements, err);
            });
          } else {
            await runner.run({ sql: this.begin(), params: [] });
            if (!recorded && !this.due(step, await this.recorded(runner))) {
              await runner.run({ sql: 'ROLLBACK', params: [] });
              return false;
            }
            for (const sql of statements) await run(runner, sql);
            if (rebuilds) await this.foreignKeyCheck(runner);
            await runner.run({ sql: this.recordSql(step), params: [] });
            await runner.run({ sql: 'COMMIT', params: [] });
          }
        } catch (err) {
          await runner.run({ sql: 'ROLLBACK', params: [] }).catch(() => undefined);
          throw err;
        }
        if (step.direction === 'up') recorded?.set(step.id, step.checksum);
        else recorded?.delete(step.id);
        return true;
      },
      runner,
    );
  }

  /** The statements of a step that failed as a whole (its transaction rolled back first), run again one by one and rolled back: the failure of the one that fails, named. */
  private async namedFailure(runner: SqlRunner, statements: readonly string[], whole: unknown): Promise<unknown> {
    try {
      await runner.run({ sql: 'ROLLBACK', params: [] });
      await runner.run({ sql: this.begin(), params: [] });
      for (const sql of statements) await run(runner, sql);
      return whole;
    } catch (err) {
      return err;
    } finally {
      await runner.run({ sql: 'ROLLBACK', params: [] }).catch(() => undefined);
    }
  }

  /** A migration's unqualified names are the source's (its Postgres schema), as `psql` with that search_path. */
  private begin(): string {
    switch (this.driver.dialect.name) {
      case 'postgres':
        return `BEGIN; SET LOCAL search_path = ${this.qualified(MIGRATIONS_TABLE, '').slice(0, -3)}, public`;
      case 'mysql':
        return 'START TRANSACTION';
      case 'sqlite':
        return 'BEGIN IMMEDIATE';
    }
  }

  private createMigrationsTable(): string {
    return compileCreateTable(this.driver.dialect, this.ref(MIGRATIONS_TABLE), MIGRATIONS).replace(/^CREATE TABLE /, 'CREATE TABLE IF NOT EXISTS ');
  }

  /**
   * The source's migration lock, held by the run's connection until the release (and dropped
   * with the connection if the node dies): Postgres `pg_advisory_lock`, MariaDB `GET_LOCK`,
   * SQLite none beyond each step's BEGIN IMMEDIATE (the file's one writer).
   */
  private async lock(runner: SqlRunner, waitSeconds: number): Promise<() => Promise<void>> {
    const key = `mobo_migrations:${this.ref(MIGRATIONS_TABLE)}`;
    const locked = () => new MoboError('DS_CONFLICT', `Another migration run holds the lock of this source (waited ${waitSeconds} s)`, { details: { reason: 'locked', waitedSeconds: waitSeconds } });
    if (this.driver.dialect.name === 'postgres') {
      await runner.run({ sql: `SET lock_timeout = '${Math.round(waitSeconds * 1000)}ms'`, params: [] });
      await runner.run({ sql: 'SELECT pg_advisory_lock(hashtext($1))', params: [key] }).catch((err: unknown) => {
        throw isMoboError(err, 'DS_CONFLICT') ? locked() : err;
      });
      await runner.run({ sql: 'RESET lock_timeout', params: [] });
      return async () => void (await runner.run({ sql: 'SELECT pg_advisory_unlock(hashtext($1))', params: [key] }).catch(() => undefined));
    }
    if (this.driver.dialect.name === 'mysql') {
      // GET_LOCK names are server-wide (Postgres' advisory locks are per database): the database is in the name.
      const name = "SHA1(CONCAT(?, ':', DATABASE()))";
      const { rows } = await runner.run({ sql: `SELECT GET_LOCK(${name}, ?) AS got`, params: [key, waitSeconds] });
      if (Number(rows[0]?.got) !== 1) throw locked();
      return async () => void (await runner.run({ sql: `SELECT RELEASE_LOCK(${name})`, params: [key] }).catch(() => undefined));
    }
    return async () => undefined;
  }

  /** What `mobo_migrations` holds: id → checksum. */
  private async recorded(runner: SqlRunner): Promise<Map<string, string>> {
    const { rows } = await runner.run({ sql: `SELECT id, checksum FROM ${this.ref(MIGRATIONS_TABLE)}`, params: [] });
    return new Map(rows.map((r) => [String(r.id), String(r.checksum)]));
  }

  /** Whether a step still has to run; an applied migration whose file changed is refused. */
  private due(step: MigrationStep, recorded: Map<string, string>): boolean {
    const checksum = recorded.get(step.id);
    if (step.direction === 'down') return checksum !== undefined;
    if (checksum === undefined) return true;
    if (checksum !== step.checksum) throw new MoboError('DS_CONFLICT', `Migration ${step.id} was applied and has been edited since`, { details: { reason: 'changed', migration: step.id } });
    return false;
  }

  /** The step's row in (or out of) `mobo_migrations`, values inlined (an id of file-name characters, a hex checksum, an ISO time) so it can share a round trip. */
  private recordSql(step: MigrationStep): string {
    const ref = this.ref(MIGRATIONS_TABLE);
    const id = literal(step.id);
    if (step.direction === 'down') return `DELETE FROM ${ref} WHERE id = ${id}`;
    return `INSERT INTO ${ref} (id, checksum, applied_at) VALUES (${id}, ${literal(step.checksum)}, ${literal(new Date().toISOString())})`;
  }

  private async foreignKeyCheck(runner: SqlRunner): Promise<void> {
    const { rows } = await runner.run({ sql: 'PRAGMA foreign_key_check', params: [] });
    if (rows.length > 0) throw new MoboError('DS_CONSTRAINT', `The change breaks ${rows.length} foreign key reference(s)`, { details: { table: String(rows[0]!.table) } });
  }

  /**
   * SQLite's twelve steps: a new table of the wanted shape, the rows copied over (CAST to a new
   * type), the old table dropped, the new one renamed, its indexes made again — with foreign-key
   * enforcement off around the transaction and checked before it commits.
   */
  private rebuild(d: DescribedTable, change: { add?: ColumnSpec; alter?: Extract<SchemaOp, { op: 'alterColumn' }>; drop?: string; dropIndex?: string }): string[] {
    const { dialect } = this.driver;
    const q = this.q;
    const temp = `mobo_rebuild_${d.name}`.slice(0, 60);
    const key = change.add?.primaryKey || change.add?.identity ? [change.add.name] : d.primaryKey.filter((k) => k !== change.drop);
    const defs: string[] = [];
    const from: string[] = [];
    const to: string[] = [];
    for (const c of d.columns) {
      if (c.name === change.drop) continue;
      const altered = change.alter?.column === c.name ? change.alter : undefined;
      const type = altered?.type !== undefined ? columnType(dialect, { type: altered.type }, false) : c.nativeType || 'BLOB';
      const nullable = altered?.nullable ?? c.nullable;
      const def = altered?.default !== undefined ? (altered.default === null ? null : defaultSql(dialect, altered.default)) : c.default;
      defs.push(`${q(c.name)} ${type}${nullable && !key.includes(c.name) ? '' : ' NOT NULL'}${def !== null ? ` DEFAULT ${def}` : ''}`);
      to.push(q(c.name));
      from.push(altered?.type !== undefined ? `CAST(${q(c.name)} AS ${type})` : q(c.name));
    }
    if (change.add) defs.push(columnSql(dialect, change.add, key.includes(change.add.name)));
    if (key.length > 0) defs.push(`PRIMARY KEY (${key.map(q).join(', ')})`);
    for (const fk of d.foreignKeys) if (!fk.columns.includes(change.drop ?? '\0')) defs.push(foreignKeySql(dialect, q, { ...fk, name: undefined, onDelete: fk.onDelete as never, onUpdate: fk.onUpdate as never }));
    for (const check of d.checks) defs.push(`CHECK (${check.expression})`);
    const indexes = d.indexes.filter((i) => i.name !== change.dropIndex && !i.columns.includes(change.drop ?? '\0'));
    return [
      'PRAGMA foreign_keys = OFF',
      `CREATE TABLE ${q(temp)} (${defs.join(', ')})`,
      `INSERT INTO ${q(temp)} (${to.join(', ')}) SELECT ${from.join(', ')} FROM ${q(d.name)}`,
      `DROP TABLE ${q(d.name)}`,
      `ALTER TABLE ${q(temp)} RENAME TO ${q(d.name)}`,
      ...indexes.map((i) => `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX ${q(i.constraint ? indexName(d.name, i.columns, i.unique) : i.name)} ON ${q(d.name)} (${i.columns.map(q).join(', ')})`),
      'PRAGMA foreign_keys = ON',
    ];
  }

  /** SQLite stores any value in any column: a value the new type cannot hold is found before the rebuild. */
  private async castable(table: string, column: string, type: ColumnSpec['type']): Promise<void> {
    const c = this.q(column);
    const bad: Partial<Record<ColumnSpec['type'], string>> = {
      integer: `NOT (typeof(${c}) = 'integer' OR (typeof(${c}) = 'real' AND ${c} = CAST(${c} AS INTEGER)) OR (typeof(${c}) = 'text' AND trim(${c}) GLOB '[0-9+-]*' AND NOT trim(${c}) GLOB '?*[^0-9]*'))`,
      float: `NOT (typeof(${c}) IN ('integer', 'real') OR (typeof(${c}) = 'text' AND trim(${c}) GLOB '[0-9+-.]*' AND NOT trim(${c}) GLOB '*[^0-9.eE+-]*'))`,
      boolean: `NOT (${c} IN (0, 1) OR lower(CAST(${c} AS TEXT)) IN ('0', '1', 'true', 'false'))`,
    };
    const test = bad[type];
    if (!test) return;
    const { rows } = await this.driver.runner.run({ sql: `SELECT ${c} AS v, COUNT(*) OVER () AS n FROM ${this.ref(table)} WHERE ${c} IS NOT NULL AND ${test} LIMIT 1`, params: [] });
    if (rows.length > 0) {
      throw new MoboError('DS_VALUE_INVALID', `Column "${column}" of "${table}" holds ${String(rows[0]!.n)} value(s) that are not ${type}, e.g. ${JSON.stringify(String(rows[0]!.v)).slice(0, 60)}`, {
        details: { table, column, type, rows: Number(rows[0]!.n) },
      });
    }
  }

  private qualified(table: string, name: string): string {
    const ref = this.ref(table);
    return ref.slice(0, ref.length - this.q(table).length) + this.q(name);
  }

  private async table(name: string): Promise<TableInfo> {
    const info = await this.schema.find(name);
    if (!info) throw new MoboError('DS_TABLE_NOT_FOUND', `No table "${name}"`, { details: { table: name } });
    return info;
  }

  private async absent(name: string): Promise<void> {
    if (await this.schema.find(name)) throw new MoboError('DS_CONFLICT', `A table named "${name}" already exists`, { details: { table: name } });
  }

  private column(d: DescribedTable, name: string): DescribedTable['columns'][number] {
    const column = d.columns.find((c) => c.name === name);
    if (!column) throw columnMissing(d.name, name, 'column');
    return column;
  }

  private name(name: string, field: string): void {
    if (typeof name !== 'string' || name.length === 0 || name.includes('\0') || Buffer.byteLength(name) > this.driver.maxNameBytes) {
      throw invalid(`Invalid name ${JSON.stringify(name)}: 1 to ${this.driver.maxNameBytes} bytes, no NUL`, { field, value: name, maxBytes: this.driver.maxNameBytes });
    }
  }
}

function sqlite(driver: SqlDriver): boolean {
  return driver.dialect.name === 'sqlite';
}

/** A statement's failure keeps its code and says which statement and what the backend said; `text`: what is sent, when more than the statement. */
async function run(runner: SqlRunner, sql: string, text = sql): Promise<void> {
  try {
    await runner.run({ sql: text, params: [] });
  } catch (err) {
    if (!isMoboError(err)) throw err;
    const reason = err.cause instanceof Error ? err.cause.message : err.message;
    throw new MoboError(err.code, `${err.message}: ${reason}`, { details: { ...(err.details as object | undefined), statement: sql.slice(0, 300), reason }, cause: err });
  }
}

/** A failed step's error, naming the migration and the steps of the run committed before it. */
function stepFailed(err: unknown, migration: string, applied: readonly string[]): unknown {
  if (!isMoboError(err)) return err;
  return new MoboError(err.code, err.message, { details: { ...(err.details as object | undefined), migration, applied: [...applied] }, cause: err });
}

/** Whether SQL text qualifies a name with `namespace` (`ns.t`, `"ns".t`, `` `ns`.t ``), outside string literals. */
export function namesNamespace(sql: string, namespace: string): boolean {
  const code = sql.replace(/'(?:[^']|'')*'/g, "''");
  const escaped = namespace.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?:^|[^\\w$."\`])(?:"${escaped}"|\`${escaped}\`|${escaped})\\s*\\.`, 'i').test(code);
}

/** A string as an SQL literal (standard quoting: every backend here takes doubled single quotes). */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function indexName(table: string, columns: string[], unique: boolean): string {
  const name = `${table}_${columns.join('_')}_${unique ? 'key' : 'idx'}`;
  return Buffer.byteLength(name) <= 63 ? name : `${Buffer.from(name).subarray(0, 50).toString('utf8').replace(/\uFFFD+$/, '')}_${Buffer.from(name).toString('base64url').slice(-8)}`;
}

function invalid(message: string, details: Record<string, unknown>): MoboError {
  return new MoboError('DS_QUERY_INVALID', message, { details });
}

function columnMissing(table: string, column: string, field: string): MoboError {
  return new MoboError('DS_COLUMN_NOT_FOUND', `Table "${table}" has no column "${column}"`, { details: { table, column, field } });
}

function fingerprint(tables: readonly TableInfo[]): string {
  return JSON.stringify(tables.map((t) => [t.name, t.primaryKey, t.columns.map((c) => [c.name, c.nativeType, c.nullable])]).sort());
}
