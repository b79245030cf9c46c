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
  private byName = new Map<string, TableInfo>();
  private loadedAt = 0;
  /** Bumped by every load and invalidation: a load only publishes if nothing newer began since. */
  private generation = 0;

  constructor(private readonly load: () => Promise<SchemaInfo>) {}

  get(refresh = false): Promise<SchemaInfo> {
    if (refresh || !this.current) {
      const generation = ++this.generation;
      const loading = this.load().then((schema) => {
        // A slower load that began before a DDL must not overwrite what a newer one found.
        if (generation === this.generation) {
          this.byName = new Map(schema.tables.map((t) => [t.name, t]));
          this.loadedAt = Date.now();
        }
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
  }

  async find(name: string): Promise<TableInfo | undefined> {
    await this.get();
    const known = this.byName.get(name);
    if (known || Date.now() - this.loadedAt < MISS_RELOAD_INTERVAL_MS) return known;
    await this.get(true);
    return this.byName.get(name);
  }

  async table(name: string): Promise<TableInfo> {
    const table = typeof name === 'string' ? await this.find(name) : undefined;
    if (!table) throw tableNotFound(String(name));
    return table;
  }
}
