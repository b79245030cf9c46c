/**
 * The schema API on the stores without SQL DDL (MongoDB, Redis): the operations that mean
 * something there, and DS_UNSUPPORTED naming the operation for the rest.
 *
 * - Both keep a declared row model per table (TableInfo: Redis under its schema key, MongoDB in
 *   `mobo_schema`): create and drop a table, add a nullable column to the model (rows written
 *   before read it as null; nothing is rewritten).
 * - MongoDB also has indexes: create (unique, several fields) and drop.
 * - Defaults other than a generated key, checks, foreign keys, type changes, renames and views
 *   have no meaning in the model, and migrations are SQL files: all DS_UNSUPPORTED.
 *
 * `plan` checks an operation against the model and answers the commands it will run, in the
 * store's own words (what a dry run prints); `apply` runs the operation it is given.
 */
import { MoboError } from '../runtime/index.js';
import type { SchemaCache } from './schema-cache.js';
import type { ColumnInfo, ColumnSpec, DescribedTable, Rehearsal, SchemaChange, SchemaEditor, SchemaOp, TableInfo, TableSpec } from './types.js';

type Index = DescribedTable['indexes'][number];

/** What a document store offers the editor. */
export interface DocumentStore {
  readonly kind: 'mongodb' | 'redis';
  createTable(table: TableInfo): Promise<void>;
  dropTable(table: string): Promise<void>;
  /** Replaces a table's declared row model. */
  declare(table: TableInfo): Promise<void>;
  /** MongoDB: the collection's indexes (not `_id_`); absent where the store has none. */
  indexes?(table: string): Promise<Index[]>;
  createIndex?(table: string, index: Index): Promise<void>;
  dropIndex?(table: string, index: string): Promise<void>;
}

export class DocumentSchemaEditor implements SchemaEditor {
  readonly transactional = false;

  constructor(
    private readonly store: DocumentStore,
    private readonly schema: SchemaCache,
  ) {}

  async describe(table: string): Promise<DescribedTable> {
    const info = await this.table(table);
    return {
      name: info.name,
      columns: info.columns.map((c) => ({ name: c.name, type: c.type, nativeType: c.nativeType, nullable: c.nullable, default: null, identity: c.hasDefault && info.primaryKey.includes(c.name) })),
      primaryKey: [...info.primaryKey],
      foreignKeys: [],
      indexes: (await this.store.indexes?.(info.name)) ?? [],
      checks: [],
    };
  }

  async plan(op: SchemaOp): Promise<string[]> {
    await this.schema.get(true);
    const command = (...words: unknown[]) => [`${this.store.kind}: ${words.map((w) => (typeof w === 'string' ? w : JSON.stringify(w))).join(' ')}`];
    switch (op.op) {
      case 'createTable': {
        if (await this.schema.find(op.table.name)) throw new MoboError('DS_CONFLICT', `A table named "${op.table.name}" already exists`, { details: { table: op.table.name } });
        return command('create table', op.table.name, declared(op.table, this.store.kind));
      }
      case 'dropTable':
        return command('drop table', (await this.table(op.table)).name);
      case 'addColumn': {
        const info = await this.table(op.table);
        if (info.columns.some((c) => c.name === op.column.name)) throw new MoboError('DS_CONFLICT', `Table "${info.name}" already has a column "${op.column.name}"`, { details: { table: info.name, column: op.column.name } });
        return command('declare column', info.name, modelColumn(op.column, this.store.kind, false, true));
      }
      case 'createIndex': {
        const info = await this.table(op.table);
        if (!this.store.createIndex) throw this.unsupported(op.op, 'rows are found by their key; there are no secondary indexes');
        for (const c of op.columns) if (!info.columns.some((x) => x.name === c)) throw new MoboError('DS_COLUMN_NOT_FOUND', `Table "${info.name}" has no column "${c}"`, { details: { table: info.name, column: c, field: 'columns' } });
        const name = op.name ?? `${info.name}_${op.columns.join('_')}_${op.unique ? 'key' : 'idx'}`;
        if ((await this.store.indexes?.(info.name))?.some((i) => i.name === name)) throw new MoboError('DS_CONFLICT', `Table "${info.name}" already has an index "${name}"`, { details: { table: info.name, index: name } });
        return command('create index', info.name, { name, columns: op.columns, unique: op.unique === true });
      }
      case 'dropIndex': {
        const info = await this.table(op.table);
        if (!this.store.dropIndex) throw this.unsupported(op.op, 'rows are found by their key; there are no secondary indexes');
        if (!(await this.store.indexes?.(info.name))?.some((i) => i.name === op.index)) throw new MoboError('DS_TABLE_NOT_FOUND', `Table "${info.name}" has no index "${op.index}"`, { details: { table: info.name, index: op.index } });
        return command('drop index', info.name, op.index);
      }
      default:
        throw this.unsupported(op.op, 'the declared row model has no such change');
    }
  }

  async apply(change: SchemaChange): Promise<void> {
    const op = change.op;
    if (!op) throw new MoboError('DS_UNSUPPORTED', `A ${this.store.kind} source runs schema operations, not statements`, { details: { kind: this.store.kind } });
    await this.plan(op);
    try {
      switch (op.op) {
        case 'createTable':
          return await this.store.createTable(declared(op.table, this.store.kind));
        case 'dropTable':
          return await this.store.dropTable(op.table);
        case 'addColumn': {
          const info = await this.table(op.table);
          return await this.store.declare({ ...info, columns: [...info.columns, modelColumn(op.column, this.store.kind, false, true)] });
        }
        case 'createIndex':
          return await this.store.createIndex!(op.table, { name: op.name ?? `${op.table}_${op.columns.join('_')}_${op.unique ? 'key' : 'idx'}`, columns: op.columns, unique: op.unique === true });
        case 'dropIndex':
          return await this.store.dropIndex!(op.table, op.index);
        default:
          throw this.unsupported(op.op, 'the declared row model has no such change');
      }
    } finally {
      this.schema.invalidate();
    }
  }

  migrate(): Promise<{ applied: string[] }> {
    return Promise.reject(this.unsupported('migrate', 'migrations are SQL files'));
  }

  rehearse(): Promise<Rehearsal> {
    return Promise.reject(this.unsupported('diff', 'migrations are SQL files'));
  }

  async migrations(): Promise<[]> {
    return [];
  }

  async refresh(): Promise<boolean> {
    await this.schema.get(true);
    return false;
  }

  private unsupported(op: string, why: string): MoboError {
    return new MoboError('DS_UNSUPPORTED', `A ${this.store.kind} source has no "${op}": ${why}`, { details: { kind: this.store.kind, op } });
  }

  private async table(name: string): Promise<TableInfo> {
    const info = await this.schema.find(name);
    if (!info) throw new MoboError('DS_TABLE_NOT_FOUND', `No table "${name}"`, { details: { table: name } });
    return info;
  }
}

/** A table spec as the row model the store declares; what the model cannot hold is refused, naming it. */
export function declared(spec: TableSpec, kind: DocumentStore['kind']): TableInfo {
  if (spec.foreignKeys?.length) throw new MoboError('DS_UNSUPPORTED', `A ${kind} source has no foreign keys`, { details: { kind, field: 'foreignKeys' } });
  const primaryKey = spec.primaryKey ?? spec.columns.filter((c) => c.primaryKey || c.identity).map((c) => c.name);
  if (kind === 'redis' && primaryKey.length === 0) throw new MoboError('DS_QUERY_INVALID', 'A Redis table needs a primary key (a column with "primaryKey" or "identity", or "primaryKey": [...])', { details: { field: 'primaryKey' } });
  for (const k of primaryKey) if (!spec.columns.some((c) => c.name === k)) throw new MoboError('DS_COLUMN_NOT_FOUND', `Table "${spec.name}" has no column "${k}"`, { details: { table: spec.name, column: k, field: 'primaryKey' } });
  return { name: spec.name, primaryKey, columns: spec.columns.map((c) => modelColumn(c, kind, primaryKey.includes(c.name), false)) };
}

/** One column of the row model: a type, nullability, and a generated key where asked; `added`: to a table that has rows already. */
function modelColumn(column: ColumnSpec, kind: DocumentStore['kind'], keyed: boolean, added: boolean): ColumnInfo {
  const refuse = (field: string, what: string) => new MoboError('DS_UNSUPPORTED', `Column "${column.name}": a ${kind} source has no ${what}`, { details: { kind, column: column.name, field } });
  if (column.default !== undefined && column.default !== null) throw refuse('default', 'column defaults (only generated keys: "identity")');
  if (column.check !== undefined) throw refuse('check', 'check constraints');
  if (column.unique && kind === 'redis') throw refuse('unique', 'unique columns besides the key');
  if (column.unique) throw refuse('unique', 'unique columns in the model: create a unique index');
  if (added && (column.primaryKey || column.identity)) throw refuse('primaryKey', 'key change on an existing table');
  if (column.identity && column.type !== 'integer') throw new MoboError('DS_QUERY_INVALID', `Only an integer column can be an identity ("${column.name}" is ${column.type})`, { details: { field: 'identity', column: column.name } });
  if (added && column.nullable === false) throw refuse('nullable', 'NOT NULL on a column added later (rows written before do not have it)');
  return { name: column.name, type: column.type, nativeType: column.type, nullable: !keyed && column.nullable !== false, hasDefault: keyed && column.identity === true };
}
