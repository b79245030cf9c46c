import type { DataClient } from './protocol.js';
import type { TableInfo } from '../../adapters/index.js';

const text = (name: string, nullable = false) => ({ name, type: 'text' as const, nativeType: 'text', nullable, hasDefault: false });
const integer = (name: string) => ({ name, type: 'integer' as const, nativeType: 'integer', nullable: true, hasDefault: false });

export const PROJECTS = 'mobo_projects';
export const SOURCES = 'mobo_sources';
/** What a source has beyond its row in SOURCES: a sealed direct URL for its change feed, what was provisioned for it. */
export const SOURCE_EXTRAS = 'mobo_source_extras';

export const CATALOG_TABLES: TableInfo[] = [
  { name: PROJECTS, primaryKey: ['name'], columns: [text('name'), text('created_at')] },
  {
    name: SOURCES,
    primaryKey: ['id'],
    columns: [text('id'), text('project'), text('name'), text('kind'), text('url_sealed'), text('namespace', true), integer('pool_max'), text('created_at')],
  },
  { name: SOURCE_EXTRAS, primaryKey: ['id'], columns: [text('id'), text('feed_url_sealed', true), text('provisioned', true)] },
];

/** Creates whichever control tables are missing (idempotent, safe on every boot and node). */
export async function ensureTables(store: DataClient, tables: TableInfo[]): Promise<void> {
  const existing = new Set((await store.schema(true)).tables.map((t) => t.name));
  for (const table of tables) {
    if (!existing.has(table.name)) {
      await store.createTable(table).catch(async (err: unknown) => {
        // Another node may have created it a moment ago.
        if (!(await store.schema(true)).tables.some((t) => t.name === table.name)) throw err;
      });
    }
  }
  await store.schema(true);
}
