import { join } from 'node:path';
import { splitStatements, type SchemaOp } from '../../adapters/index.js';
import { dispatch, implement, isMoboError, MoboError, type Behavior, type ErrorCode, type TimerHandle } from '../../runtime/index.js';
import type { ActorSlot, Board } from '../board.js';
import { DataClient, SCHEMA_CHANGED_TOPIC, SCHEMA_CHECK_TOPIC, sourceAddress } from '../ds/protocol.js';
import { schemaConfig } from './config.js';
import { schemaErrors } from './errors.js';
import { diffSchemas, isOwnTable } from './diff.js';
import { assertUnchanged, folderOf, newMigration, readMigrations, statusOf, type MigrationFile } from './migrations.js';
import { schemaProtocol } from './protocol.js';
import { mountSchemaRoutes } from './routes.js';

type Dialect = 'postgres' | 'sqlite' | 'mysql';

/**
 * The schema API and migrations of every project source (docs/schema-api.md). Operations are
 * planned and applied by the source's connection actor (adapters/sql/schema-editor.ts); this
 * actor reads the migration files, turns the adapters' DS_* codes into SCHEMA_* ones, and
 * announces every change to the cluster so each node's connection actor re-reads the schema
 * (REST, OpenAPI, read cache and change capture follow). Its tick makes each node look for
 * tables changed outside MagMoBoMini.
 */
export const schemaSlot: ActorSlot = {
  name: 'schema',
  group: 'data',
  dependsOn: ['catalog'],
  config: schemaConfig,
  errors: schemaErrors,
  protocol: schemaProtocol,
  routes: mountSchemaRoutes,
  behavior: (board: Board): Behavior => {
    const config = schemaConfig.of(board.configStore.current());
    const dir = config.migrationsDir ?? join(board.configStore.current().dataDir, 'migrations');
    const catalog = board.system.ref(board.address('catalog'), 'schema');
    const client = (project: string, source: string) => new DataClient(board.system.ref(sourceAddress(project, source), 'schema'));
    const changed = (project: string, source: string): void => board.system.events.emit(SCHEMA_CHANGED_TOPIC, { project, source });

    /** The source's kind; DS_SOURCE_NOT_FOUND when the project has no such source. */
    const kindOf = async (project: string, source: string): Promise<string> => {
      const sources = await catalog.ask<Array<{ name: string; kind: string }>>('source.list', { project });
      const found = sources.find((s) => s.name === source);
      if (!found) throw new MoboError('DS_SOURCE_NOT_FOUND', `No source "${source}" in project "${project}"`, { details: { project, source } });
      return found.kind;
    };
    /** The source's SQL dialect: migrations are SQL files (MongoDB and Redis take schema operations only). */
    const dialectOf = async (project: string, source: string): Promise<Dialect> => {
      const kind = await kindOf(project, source);
      if (kind !== 'postgres' && kind !== 'sqlite' && kind !== 'mysql') {
        throw new MoboError('SCHEMA_UNSUPPORTED', `A ${kind} source has no migrations: they are SQL files (its schema operations are the schema API's)`, { details: { kind, source } });
      }
      return kind;
    };

    const status = async (project: string, source: string) => {
      const files = await readMigrations(folderOf(dir, project, source));
      return { files, status: statusOf(files, await client(project, source).migrations().catch(translate(false))) };
    };

    /**
     * Runs one direction of migrations in order as one run of the source's connection actor:
     * one lock, each migration in its own transaction, the schema re-read once at the end.
     */
    const run = async (project: string, source: string, files: MigrationFile[], direction: 'up' | 'down', dryRun: boolean | undefined) => {
      const dialect = await dialectOf(project, source);
      const steps = files.map((m) => {
        const text = direction === 'up' ? m.up : m.down;
        if (text === undefined) throw new MoboError('SCHEMA_MIGRATION_MISSING', `Migration ${m.id} has no "-- migrate:down" section`, { details: { migration: m.id } });
        return { id: m.id, checksum: m.checksum, direction, statements: splitStatements(text, dialect) };
      });
      const sql = steps.flatMap((s) => [`-- ${s.id} (${direction})`, ...s.statements]);
      if (dryRun || steps.length === 0) return { done: [], sql };
      try {
        const { applied } = await client(project, source).migrate(steps, { lockWaitSeconds: schemaConfig.of(board.configStore.current()).lockWaitSeconds }).catch(translate(true));
        return { done: applied, sql };
      } finally {
        changed(project, source);
      }
    };

    const handlers = implement(schemaProtocol, {
      'schema.describe': ({ project, source, table }) => kindOf(project, source).then(() => client(project, source).describe(table).catch(translate(false))),
      'schema.change': async ({ project, source, change, dryRun }) => {
        await kindOf(project, source);
        const data = client(project, source);
        const sql = await data.plan(change).catch(translate(false, change));
        if (dryRun) return { dryRun: true as const, sql };
        try {
          await data.apply({ statements: sql, op: change }).catch(translate(false, change));
        } finally {
          changed(project, source);
        }
        const table = tableOf(change);
        return table ? { sql, table: await data.describe(table).catch(translate(false)) } : { sql };
      },
      'migrate.status': async ({ project, source }) => {
        await dialectOf(project, source);
        return { migrations: (await status(project, source)).status };
      },
      'migrate.new': async ({ project, source, name, up, down }) => {
        await dialectOf(project, source);
        return newMigration(folderOf(dir, project, source), name, up, down);
      },
      'migrate.up': async ({ project, source, dryRun, to }) => {
        await dialectOf(project, source);
        const { files, status: now } = await status(project, source);
        assertUnchanged(now);
        const pending = new Set(now.filter((s) => s.status === 'pending').map((s) => s.id));
        if (to !== undefined && !files.some((f) => f.id === to)) throw new MoboError('SCHEMA_MIGRATION_MISSING', `No migration ${to}`, { details: { migration: to } });
        const steps = files.filter((f) => pending.has(f.id) && (to === undefined || f.id <= to));
        const { done, sql } = await run(project, source, steps, 'up', dryRun);
        return dryRun ? { applied: [], sql } : { applied: done };
      },
      'migrate.down': async ({ project, source, dryRun, steps }) => {
        await dialectOf(project, source);
        const { reverted, sql } = await down(project, source, steps ?? 1, dryRun);
        return dryRun ? { reverted: [], sql } : { reverted };
      },
      'migrate.redo': async ({ project, source, dryRun }) => {
        await dialectOf(project, source);
        const { reverted, sql, files } = await down(project, source, 1, dryRun);
        const again = dryRun ? files : files.filter((f) => reverted.includes(f.id));
        const up = await run(project, source, again, 'up', dryRun);
        return dryRun ? { reverted: [], applied: [], sql: [...sql, ...up.sql] } : { reverted, applied: up.done };
      },
      'db.diff': async ({ project, source }) => {
        const dialect = await dialectOf(project, source);
        const { files, status: now } = await status(project, source);
        const data = client(project, source);
        const steps = files.map((f) => ({ id: f.id, checksum: f.checksum, direction: 'up' as const, statements: splitStatements(f.up, dialect) }));
        const rehearsal = await data.rehearse(steps).catch(translate(false));
        const names = (await data.schema(true)).tables.map((t) => t.name).filter((n) => !isOwnTable(n));
        const live = await Promise.all(names.map((n) => data.describe(n).catch(translate(false))));
        return diffSchemas(rehearsal, live, now);
      },
    });

    /** Reverts the last `count` applied migrations, newest first; an edited or missing file is refused. */
    const down = async (project: string, source: string, count: number, dryRun: boolean | undefined) => {
      const { files, status: now } = await status(project, source);
      assertUnchanged(now);
      const applied = now.filter((s) => s.status === 'applied' || s.status === 'missing').slice(-count).reverse();
      const missing = applied.find((s) => s.status === 'missing');
      if (missing) throw new MoboError('SCHEMA_MIGRATION_MISSING', `Migration ${missing.id} is applied but its file is gone`, { details: { migration: missing.id } });
      const steps = applied.map((s) => files.find((f) => f.id === s.id)!);
      const { done, sql } = await run(project, source, steps, 'down', dryRun);
      return { reverted: done, sql, files: steps.reverse() };
    };

    let timer: TimerHandle | undefined;
    return {
      start(ctx) {
        if (config.checkEveryMs === 0) return;
        const tick = (): void => {
          timer = ctx.clock.setTimeout(() => {
            board.system.events.emitLocal(SCHEMA_CHECK_TOPIC, null);
            tick();
          }, config.checkEveryMs);
        };
        tick();
      },
      stop(ctx) {
        if (timer) ctx.clock.clearTimeout(timer);
      },
      receive: (msg, ctx) => dispatch(handlers, msg, ctx),
    };
  },
};

/** The table whose description answers a change (none for a dropped table or a view). */
function tableOf(change: SchemaOp): string | undefined {
  switch (change.op) {
    case 'createTable':
      return change.table.name;
    case 'renameTable':
      return change.to;
    case 'dropTable':
    case 'createView':
    case 'dropView':
      return undefined;
    default:
      return change.table;
  }
}

const SCHEMA_CODE: Partial<Record<ErrorCode, ErrorCode>> = {
  DS_CONFLICT: 'SCHEMA_EXISTS',
  DS_TABLE_NOT_FOUND: 'SCHEMA_NOT_FOUND',
  DS_COLUMN_NOT_FOUND: 'SCHEMA_NOT_FOUND',
  DS_VALUE_INVALID: 'SCHEMA_CAST_FAILED',
  DS_CONSTRAINT: 'SCHEMA_CAST_FAILED',
  DS_QUERY_INVALID: 'SCHEMA_INVALID',
  DS_UNSUPPORTED: 'SCHEMA_UNSUPPORTED',
};

/**
 * The adapters' DS_* codes as the schema API's: a clash, a missing name, data that does not fit
 * (a statement refused over the rows it holds), a migration that failed (naming it).
 */
function translate(migrating: boolean, change?: SchemaOp) {
  return (err: unknown): never => {
    if (!isMoboError(err)) throw err;
    const details = (err.details ?? {}) as Record<string, unknown>;
    const migration = migrating && typeof details.migration === 'string' ? details.migration : undefined;
    const options = { details, cause: err };
    if (err.code === 'DS_CONFLICT' && details.reason === 'locked') throw new MoboError('SCHEMA_MIGRATION_LOCKED', err.message, options);
    if (err.code === 'DS_CONFLICT' && details.reason === 'changed') throw new MoboError('SCHEMA_MIGRATION_CHANGED', err.message, options);
    if (migration && err.code !== 'DS_UNAVAILABLE' && err.code !== 'DS_OUTCOME_UNKNOWN') throw new MoboError('SCHEMA_MIGRATION_FAILED', `Migration ${migration} failed, nothing of it was kept: ${err.message}`, options);
    // A statement the backend refused over the rows it holds: the data does not fit the change.
    const ran = typeof details.statement === 'string';
    const overData = ran && (err.code === 'DS_CONFLICT' || (err.code === 'DS_QUERY_INVALID' && change?.op === 'alterColumn'));
    const code = overData ? 'SCHEMA_CAST_FAILED' : SCHEMA_CODE[err.code];
    if (code === 'SCHEMA_CAST_FAILED' && change?.op === 'alterColumn') {
      const into = change.type ? `become ${change.type}` : change.nullable === false ? 'be NOT NULL' : 'take that change';
      const message = `Column "${change.column}" of "${change.table}" cannot ${into}: the data does not fit (${String(details.reason ?? err.message)})`;
      throw new MoboError(code, message, { ...options, details: { ...options.details, table: change.table, column: change.column, ...(change.type ? { type: change.type } : {}) } });
    }
    throw code ? new MoboError(code, err.message, options) : err;
  };
}
