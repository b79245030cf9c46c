import { tableNotFound } from './columns.js';
import type { SchemaInfo, TableInfo } from './types.js';

/** A miss reloads the schema at most this often, so unknown names cannot hammer introspection. */
const MISS_RELOAD_INTERVAL_MS = 1_000;

/**
 * The introspected schema, loaded once and reloaded on demand, on DDL through the adapter,
 * or (rate-limited) when a name is not found (a table created by someone else).
 */
export class SchemaCache {
  private current: Promise<SchemaInfo> | undefined;
  /** Each load's tables by name, built once per load: a caller looks names up in the load it awaited. */
  private readonly indexes = new WeakMap<SchemaInfo, Map<string, TableInfo>>();
  private loadedAt = 0;
  /** Bumped by every load and invalidation: only the newest load counts for the miss-reload clock. */
  private generation = 0;

  /** Told whenever the schema is dropped or re-read on demand (a DDL, a miss): caches built from it drop theirs. */
  private readonly stale: Array<() => void> = [];

  constructor(private readonly load: () => Promise<SchemaInfo>) {}

  onStale(listener: () => void): void {
    this.stale.push(listener);
  }

  get(refresh = false): Promise<SchemaInfo> {
    if (refresh) this.stale.forEach((listener) => listener());
    if (refresh || !this.current) {
      const generation = ++this.generation;
      const loading = this.load().then((schema) => {
        this.indexes.set(schema, new Map(schema.tables.map((t) => [t.name, t])));
        if (generation === this.generation) this.loadedAt = Date.now();
        return schema;
      });
      loading.catch(() => {
        if (this.current === loading) this.current = undefined;
      });
      this.current = loading;
    }
    return this.current;
  }

  invalidate(): void {
    this.generation++;
    this.current = undefined;
    this.stale.forEach((listener) => listener());
  }

  async find(name: string): Promise<TableInfo | undefined> {
    // The answer comes from the load this call awaited, never from whichever load finished last:
    // a slower load that began before a DDL cannot hide a table a newer one found.
    const known = this.index(await this.get()).get(name);
    if (known || Date.now() - this.loadedAt < MISS_RELOAD_INTERVAL_MS) return known;
    return this.index(await this.get(true)).get(name);
  }

  async table(name: string): Promise<TableInfo> {
    const table = typeof name === 'string' ? await this.find(name) : undefined;
    if (!table) throw tableNotFound(String(name));
    return table;
  }

  private index(schema: SchemaInfo): Map<string, TableInfo> {
    return this.indexes.get(schema) ?? new Map(schema.tables.map((t) => [t.name, t]));
  }
}
