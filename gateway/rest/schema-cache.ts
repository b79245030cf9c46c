import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import type { TableInfo } from '../../adapters/index.js';
import { type ActorSystem, isMoboError, MoboError } from '../../runtime/index.js';
import { fullBucket, spend, type Bucket, type BucketLimit } from '../../tools/index.js';

const FRESH_MS = 10_000;
/**
 * Misses re-read a source's schema (a table or column made a moment ago) a few at once, then
 * about once a second: unknown names cannot hammer the source's catalog.
 */
const MISS_REFRESHES: BucketLimit = { rps: 1, burst: 4 };

interface Entry {
  tables: Map<string, TableInfo>;
  at: number;
  misses: Bucket;
}

/**
 * The gateway's view of each source's tables (primary keys, column types for coercion,
 * OpenAPI), refreshed every few seconds and on a miss, so a request costs no schema hop.
 */
export class SchemaCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();

  constructor(
    private readonly system: ActorSystem,
    /** Whether the project has the source (the catalog's word): asked only when its actor did not answer. */
    private readonly hasSource: (project: string, source: string) => Promise<boolean> = async () => true,
  ) {}

  /**
   * What a request should be told when the source's connection actor was not there to answer
   * (ACTOR_NOT_FOUND, an internal notion): DS_SOURCE_NOT_FOUND when the project has no such
   * source, else DS_UNAVAILABLE with a Retry-After (its actor is being started, or was given
   * up on by its supervisor and is coming back): a table the source holds is never reported
   * missing because its actor was away. Any other error is returned as it is.
   */
  async explain(project: string, source: string, err: unknown): Promise<unknown> {
    if (!isMoboError(err, 'ACTOR_NOT_FOUND') || err.details?.actor !== sourceAddress(project, source)) return err;
    const known = await this.hasSource(project, source).catch(() => true);
    return known
      ? new MoboError('DS_UNAVAILABLE', undefined, { details: { source, retryAfterSeconds: 1 }, cause: err })
      : new MoboError('DS_SOURCE_NOT_FOUND', `No source "${source}" in project "${project}"`, { details: { project, source }, cause: err });
  }

  /** A client for one request: its asks carry the request id as their trace id. */
  client(project: string, source: string, traceId?: string): DataClient {
    return new DataClient(this.system.ref(sourceAddress(project, source), 'gateway'), traceId ? { traceId } : {});
  }

  async tables(project: string, source: string): Promise<TableInfo[]> {
    return [...(await this.entry(project, source, false)).tables.values()];
  }

  async table(project: string, source: string, name: string): Promise<TableInfo> {
    let table = (await this.entry(project, source, false)).tables.get(name);
    if (!table && (await this.refreshAfterMiss(project, source))) table = (await this.entry(project, source, false)).tables.get(name);
    if (!table) throw new MoboError('DS_TABLE_NOT_FOUND', `No table "${name}"`, { details: { table: name } });
    return table;
  }

  /**
   * After a name the cached schema does not have (a table or column made outside, psql, a
   * moment ago): re-reads it from the source, itself re-reading its catalog, unless the
   * source's misses spent their refreshes (MISS_REFRESHES). Whether it re-read.
   */
  async refreshAfterMiss(project: string, source: string): Promise<boolean> {
    const entry = await this.entry(project, source, false);
    if (!spend(entry.misses, MISS_REFRESHES, Date.now())) return false;
    await this.entry(project, source, true);
    return true;
  }

  invalidate(project: string, source: string): void {
    this.entries.delete(`${project}/${source}`);
  }

  private async entry(project: string, source: string, force: boolean): Promise<Entry> {
    const key = `${project}/${source}`;
    const cached = this.entries.get(key);
    if (cached && !force && Date.now() - cached.at < FRESH_MS) return cached;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.client(project, source)
        .schema(force)
        .then((schema) => {
          const entry: Entry = { tables: new Map(schema.tables.map((t) => [t.name, t])), at: Date.now(), misses: cached?.misses ?? fullBucket(MISS_REFRESHES, Date.now()) };
          this.entries.set(key, entry);
          return entry;
        })
        .finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }
}
