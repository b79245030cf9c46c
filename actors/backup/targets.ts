import { type Adapter, type AdapterKind, createAdapter, type SourceConfig } from '../../adapters/index.js';
import type { Board } from '../board.js';
import { SOURCES } from '../ds/catalog-tables.js';
import type { SecretBox } from '../kernel/secret-box.js';
import { controlSource, controlStore } from '../kernel/store-slot.js';
import type { PartMeta } from './archive-writer.js';
import type { PartEntry } from './manifest.js';
import { isMoboError, MoboError } from '../../runtime/index.js';

/** One place data is dumped from or restored into: the control store, or a project's source. */
export interface DataTarget {
  meta: PartMeta;
  source: SourceConfig;
}

/** A backup's own connections stay few: the job must not starve the node's pools. */
const POOL = { max: 2 };

/** Everything mobo owns, as data targets: the control store first, then every project source. */
export async function backupTargets(board: Board, box: SecretBox): Promise<DataTarget[]> {
  const config = board.configStore.current();
  const control = controlSource(config);
  const rows = await controlStore(board).select({ table: SOURCES, order: [{ column: 'id', direction: 'asc' }] });
  return [
    { meta: { name: 'control', kind: 'control', adapter: control.kind }, source: { ...control, pool: POOL } },
    ...rows.map((row): DataTarget => {
      const kind = String(row.kind) as AdapterKind;
      const meta: PartMeta = { name: String(row.id), kind: 'source', adapter: kind, project: String(row.project), source: String(row.name), sealedUrl: String(row.url_sealed) };
      if (row.namespace) meta.namespace = String(row.namespace);
      if (row.pool_max !== null && row.pool_max !== undefined) meta.poolMax = Number(row.pool_max);
      return { meta, source: { kind, url: box.open(meta.sealedUrl!), ...(meta.namespace ? { namespace: meta.namespace } : {}), pool: POOL } };
    }),
  ];
}

/** Where a part of an archive goes back to: the node's control store, or the source it came from. */
export function restoreTarget(part: PartEntry, control: SourceConfig, box: SecretBox): DataTarget {
  const { sha256: _s, bytes: _b, records: _r, rows: _rows, snapshotAt: _t, start: _start, ...meta } = part;
  if (part.kind === 'control') return { meta, source: { ...control, pool: POOL } };
  if (!part.adapter || !part.sealedUrl) throw new MoboError('BACKUP_CORRUPT', `Part "${part.name}" does not say where it came from`);
  let url: string;
  try {
    url = box.open(part.sealedUrl);
  } catch (err) {
    if (!isMoboError(err, 'CONFIG_INVALID')) throw err;
    throw new MoboError('BACKUP_KEY_INVALID', `The source credentials in this backup were sealed with another secrets.key; restore on a node with that key`, { details: { part: part.name }, cause: err });
  }
  return { meta, source: { kind: part.adapter, url, ...(part.namespace ? { namespace: part.namespace } : {}), pool: POOL } };
}

/** Runs fn on a fresh connection to the source, closed afterwards. */
export async function withAdapter<T>(source: SourceConfig, fn: (adapter: Adapter) => Promise<T>): Promise<T> {
  const adapter = createAdapter(source);
  try {
    await adapter.connect();
    return await fn(adapter);
  } finally {
    await adapter.close().catch(() => undefined);
  }
}
