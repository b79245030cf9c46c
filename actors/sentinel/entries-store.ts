import type { DataClient } from '../ds/protocol.js';
import { ensureTables } from '../ds/catalog-tables.js';
import type { Allow, Block, BlockSource, TargetKind } from './blocks.js';
import type { ColumnInfo, Row, TableInfo } from '../../adapters/index.js';
import { isMoboError } from '../../runtime/index.js';

/**
 * Blocks, allow entries and the mode override in the control store (so they survive
 * restarts, every node of a cluster on a shared control store reads them at start, and
 * MagBackup's archive of the control store carries them).
 */
export const SENTINEL_ENTRIES = 'mobo_sentinel_entries';

const text = (name: string, nullable = false): ColumnInfo => ({ name, type: 'text', nativeType: 'text', nullable, hasDefault: false });
const integer = (name: string, nullable = false): ColumnInfo => ({ name, type: 'integer', nativeType: 'integer', nullable, hasDefault: false });

const TABLE: TableInfo = {
  name: SENTINEL_ENTRIES,
  primaryKey: ['id'],
  columns: [
    text('id'),
    text('type'),
    text('kind'),
    text('value'),
    text('reason', true),
    text('source', true),
    integer('created_at'),
    integer('until', true),
    integer('strikes', true),
    text('node', true),
  ],
};

export type Mode = 'block' | 'monitor';

export interface StoredEntries {
  blocks: Block[];
  allows: Allow[];
  mode: Mode | undefined;
}

const blockId = (kind: TargetKind, value: string) => `block:${kind}:${value}`;
const allowId = (kind: TargetKind, value: string) => `allow:${kind}:${value}`;
const MODE_ID = 'mode';

export class EntriesStore {
  constructor(private readonly store: DataClient) {}

  async load(now: number): Promise<StoredEntries> {
    await ensureTables(this.store, [TABLE]);
    const rows = await this.store.select({ table: SENTINEL_ENTRIES });
    const out: StoredEntries = { blocks: [], allows: [], mode: undefined };
    const lapsed: string[] = [];
    for (const r of rows) {
      if (r.type === 'block') {
        const until = r.until === null || r.until === undefined ? null : Number(r.until);
        if (until !== null && until <= now) lapsed.push(String(r.id));
        else out.blocks.push(toBlock(r, until));
      } else if (r.type === 'allow') out.allows.push({ kind: r.kind as TargetKind, value: String(r.value), createdAt: Number(r.created_at), note: String(r.reason ?? '') });
      else if (r.type === 'mode' && (r.value === 'block' || r.value === 'monitor')) out.mode = r.value;
    }
    if (lapsed.length > 0) await this.store.delete(SENTINEL_ENTRIES, { op: 'in', column: 'id', values: lapsed }, false);
    return out;
  }

  async putBlock(b: Block): Promise<void> {
    await this.upsert({
      id: blockId(b.kind, b.value),
      type: 'block',
      kind: b.kind,
      value: b.value,
      reason: b.reason,
      source: b.source,
      created_at: b.createdAt,
      until: b.until,
      strikes: b.strikes,
      node: b.node,
    });
  }

  removeBlock(kind: TargetKind, value: string): Promise<void> {
    return this.remove(blockId(kind, value));
  }

  putAllow(a: Allow): Promise<void> {
    return this.upsert({ id: allowId(a.kind, a.value), type: 'allow', kind: a.kind, value: a.value, reason: a.note, source: null, created_at: a.createdAt, until: null, strikes: null, node: null });
  }

  removeAllow(kind: TargetKind, value: string): Promise<void> {
    return this.remove(allowId(kind, value));
  }

  putMode(mode: Mode, now: number): Promise<void> {
    return this.upsert({ id: MODE_ID, type: 'mode', kind: 'mode', value: mode, reason: null, source: null, created_at: now, until: null, strikes: null, node: null });
  }

  private async upsert(row: Row): Promise<void> {
    await this.remove(String(row.id));
    // Another node may write the same entry at the same moment (both saw a limit crossed): theirs stands.
    await this.store.insert(SENTINEL_ENTRIES, [row], false).catch((err: unknown) => {
      if (!isMoboError(err, 'DS_CONFLICT')) throw err;
    });
  }

  private async remove(id: string): Promise<void> {
    await this.store.delete(SENTINEL_ENTRIES, { op: 'eq', column: 'id', value: id }, false);
  }
}

function toBlock(r: Row, until: number | null): Block {
  return {
    kind: r.kind as TargetKind,
    value: String(r.value),
    reason: String(r.reason ?? ''),
    source: (r.source ?? 'operator') as BlockSource,
    createdAt: Number(r.created_at),
    until,
    strikes: Number(r.strikes ?? 1),
    node: String(r.node ?? ''),
  };
}
