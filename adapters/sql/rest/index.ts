import type { RestCall, RestCallResult, RestRead, RestReadResult, RestWrite, RestWriteResult } from '../../rest-plan.js';
import type { SqlStatement } from '../compile.js';
import type { SqlRunner } from '../driver.js';
import { RestCatalogs, type RestCatalog } from './catalog.js';
import { compileRestCall } from './call.js';
import { compileRestRead, compileRestWrite } from './compile.js';
import { fromPostgres, restFault } from './errors.js';
import { isMoboError, MoboError } from '../../../runtime/index.js';

/** PostgREST reads on one Postgres source: the catalogue of each schema asked for, and one statement per read. */
export class PostgresRest {
  private readonly catalogs: RestCatalogs;

  constructor(
    private readonly runner: SqlRunner,
    private readonly namespace: string,
  ) {
    this.catalogs = new RestCatalogs(() => runner);
  }

  invalidate(): void {
    this.catalogs.invalidate();
  }

  private async catalog(name: string | undefined) {
    const schema = name ?? this.namespace;
    if (/^(pg_|information_schema$)/.test(schema)) throw invalidSchema(schema);
    const catalog = await this.catalogs.get(schema);
    if (!catalog) throw invalidSchema(schema);
    return catalog;
  }

  /** Compiled against the schema's catalogue; a relation it does not know has it re-read once (RestCatalogs.dropAfterMiss). */
  private async compiled<T>(name: string | undefined, compile: (catalog: RestCatalog) => T): Promise<T> {
    try {
      return compile(await this.catalog(name));
    } catch (err) {
      if (!isMoboError(err, 'DS_TABLE_NOT_FOUND') || !this.catalogs.dropAfterMiss(name ?? this.namespace)) throw err;
      return compile(await this.catalog(name));
    }
  }

  /**
   * One statement in a transaction of its own: committed, or rolled back when the caller asked
   * (tx=rollback) or when more rows changed than max-affected allows (PGRST124).
   */
  async write(write: RestWrite, transaction: <T>(fn: (runner: SqlRunner) => Promise<T>) => Promise<T>): Promise<RestWriteResult> {
    const statement = await this.compiled(write.schema, (catalog) => compileRestWrite(catalog, write));
    let outcome: RestWriteResult | undefined;
    try {
      await transaction(async (runner) => {
        const row = (await runner.run(statement)).rows[0]!;
        const affected = Number(row['affected']);
        outcome = { body: String(row['body']), returned: write.returning ? affected : 0, affected };
        if (row['inserted'] !== undefined) outcome.inserted = Number(row['inserted']);
        if (write.count) outcome.total = affected;
        // A merge whose WHERE (the row rule) skipped a row met someone else's row: refused, nothing written.
        if (write.onConflict?.resolution === 'merge' && write.rules[write.table] && affected < (write.rows?.length ?? 0)) {
          throw restFault('AUTH_FORBIDDEN', { code: '42501', status: 403, message: `new row violates row-level security policy for table "${write.table}"` });
        }
        if (write.maxAffected !== undefined && affected > write.maxAffected) {
          throw tooMany(affected);
        }
        if (write.single && affected !== 1) {
          throw restFault('DS_QUERY_INVALID', { code: 'PGRST116', status: 406, message: 'JSON object requested, multiple (or no) rows returned', details: `The result contains ${affected} rows` });
        }
        if (write.rollback) throw ROLLBACK;
      });
    } catch (err) {
      if (err === ROLLBACK && outcome) return outcome;
      throw err instanceof MoboError && err.details?.['postgrest'] ? err : fromPostgres(err);
    }
    return outcome!;
  }

  /**
   * A function call in a transaction of its own, read only when asked (a write in it is then
   * 25006, 405): undone on tx=rollback and when it gave more rows than max-affected (PGRST124).
   */
  async call(call: RestCall, transaction: <T>(fn: (runner: SqlRunner) => Promise<T>) => Promise<T>): Promise<RestCallResult> {
    const { statement, returns } = await this.compiled(call.schema, (catalog) => compileRestCall(catalog, call));
    let outcome: RestCallResult | undefined;
    try {
      await transaction(async (runner) => {
        if (call.readOnly) await runner.run({ sql: 'SET TRANSACTION READ ONLY', params: [] });
        const row = (await runner.run(statement)).rows[0]!;
        const affected = Number(row['affected']);
        outcome = { body: String(row['body']), returned: row['returned'] === undefined ? affected : Number(row['returned']), returns };
        if (call.count) outcome.total = row['total'] === undefined || row['total'] === null ? affected : Number(row['total']);
        if (call.maxAffected !== undefined && affected > call.maxAffected) throw tooMany(affected);
        if (call.rollback) throw ROLLBACK;
      });
    } catch (err) {
      if (err === ROLLBACK && outcome) return outcome;
      throw err instanceof MoboError && err.details?.['postgrest'] ? err : fromPostgres(err);
    }
    return outcome!;
  }

  /**
   * The read's one statement; count=planned adds an EXPLAIN of the count query (the planner's
   * estimate, as PostgREST gives it), count=estimated takes the larger of it and the exact count.
   */
  async read(read: RestRead): Promise<RestReadResult> {
    const { statement, counting } = await this.compiled(read.schema, (catalog) => compileRestRead(catalog, read));
    try {
      if (read.explain) return await this.explain(statement, read.explain);
      const [{ rows }, planned] = await Promise.all([this.runner.run(statement), counting ? this.plannedRows(counting) : undefined]);
      const row = rows[0]!;
      const result: RestReadResult = { body: String(row['body']), returned: Number(row['returned']) };
      const exact = row['total'] === undefined || row['total'] === null ? undefined : Number(row['total']);
      const total = planned === undefined ? exact : exact === undefined ? planned : Math.max(exact, planned);
      if (total !== undefined) result.total = total;
      return result;
    } catch (err) {
      throw fromPostgres(err);
    }
  }

  private async plannedRows(statement: SqlStatement): Promise<number> {
    const { rows } = await this.runner.run({ sql: `EXPLAIN (FORMAT JSON) ${statement.sql}`, params: statement.params });
    return Number(planOf(rows)[0]?.Plan?.['Plan Rows'] ?? 0);
  }

  /** The statement's plan as PostgREST's vnd.pgrst.plan answers: the JSON document, or the text lines. */
  private async explain(statement: SqlStatement, explain: NonNullable<RestRead['explain']>): Promise<RestReadResult> {
    const options = [`FORMAT ${explain.format.toUpperCase()}`, ...explain.options.map((o) => o.toUpperCase())].join(', ');
    const { rows } = await this.runner.run({ sql: `EXPLAIN (${options}) ${statement.sql}`, params: statement.params });
    const body = explain.format === 'json' ? JSON.stringify(planOf(rows)) : rows.map((r) => String(r['QUERY PLAN'])).join('\n');
    return { body, returned: 0 };
  }
}

/** EXPLAIN (FORMAT JSON)'s one row: its plan document (pg hands it parsed or as text). */
function planOf(rows: Array<Record<string, unknown>>): Array<{ Plan?: Record<string, unknown> }> {
  const doc = rows[0]?.['QUERY PLAN'];
  return (typeof doc === 'string' ? JSON.parse(doc) : doc) as Array<{ Plan?: Record<string, unknown> }>;
}

function tooMany(affected: number): MoboError {
  return restFault('DS_QUERY_INVALID', { code: 'PGRST124', status: 400, message: 'Query result exceeds max-affected preference constraint', details: `The query affects ${affected} rows` });
}

/** Thrown inside the transaction to undo it after its answer was read (tx=rollback). */
const ROLLBACK = new Error('tx=rollback');

function invalidSchema(schema: string) {
  return restFault('DS_QUERY_INVALID', { code: 'PGRST106', status: 406, message: `The schema must be one of the following: ${schema === 'public' ? 'public' : `public, ${schema}`}`.replace(/: .*/, ': the source\'s schemas'), details: null, hint: null });
}
