import type { RestRead, RestReadResult } from '../../rest-plan.js';
import type { SqlRunner } from '../driver.js';
import { RestCatalogs } from './catalog.js';
import { compileRestRead } from './compile.js';
import { fromPostgres, restFault } from './errors.js';

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

  async read(read: RestRead): Promise<RestReadResult> {
    const schema = read.schema ?? this.namespace;
    if (/^(pg_|information_schema$)/.test(schema)) throw invalidSchema(schema);
    const catalog = await this.catalogs.get(schema);
    if (!catalog) throw invalidSchema(schema);
    const statement = compileRestRead(catalog, read);
    try {
      const { rows } = await this.runner.run(statement);
      const row = rows[0]!;
      const result: RestReadResult = { body: String(row['body']), returned: Number(row['returned']) };
      if (row['total'] !== undefined && row['total'] !== null) result.total = Number(row['total']);
      return result;
    } catch (err) {
      throw fromPostgres(err);
    }
  }
}

function invalidSchema(schema: string) {
  return restFault('DS_QUERY_INVALID', { code: 'PGRST106', status: 406, message: `The schema must be one of the following: ${schema === 'public' ? 'public' : `public, ${schema}`}`.replace(/: .*/, ': the source\'s schemas'), details: null, hint: null });
}
