/**
 * Where change events come from. A ChangeSource either observes the database itself (Postgres
 * triggers) or is fed by the adapter's own write paths (LocalChangeSource: every change made
 * through this adapter instance, delivered after it is committed; changes made by anyone else
 * are not seen). Write paths collect changed rows only when `wanted` says someone listens.
 */
import type { ChangeEvent, ChangeFeed, ChangeOp, Row, TableInfo } from './types.js';
import type { CaptureStatus } from './capture.js';
import { primaryKeyOf } from './columns.js';

export interface ChangeSink {
  readonly wanted: boolean;
  publish(events: readonly ChangeEvent[]): void;
}

export interface ChangeSource extends ChangeSink {
  subscribe(onChange: (event: ChangeEvent) => void): Promise<ChangeFeed>;
  /** Tables were created through the adapter or found new (Postgres installs their triggers, in one statement). */
  tablesCreated?(tables: readonly TableInfo[]): Promise<void>;
  /** How the changes are captured, once the feed started (Postgres: logical or trigger). */
  status?(): CaptureStatus | undefined;
  close(): Promise<void>;
}

export class LocalChangeSource implements ChangeSource {
  private readonly listeners = new Set<(event: ChangeEvent) => void>();

  get wanted(): boolean {
    return this.listeners.size > 0;
  }

  publish(events: readonly ChangeEvent[]): void {
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch {
          // A listener's failure is its own; it must not undo or break a committed write.
        }
      }
    }
  }

  async subscribe(onChange: (event: ChangeEvent) => void): Promise<ChangeFeed> {
    const listener = (event: ChangeEvent): void => onChange(event);
    this.listeners.add(listener);
    return { close: async () => void this.listeners.delete(listener) };
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}

/** Where reads that can never change anything (a dump's) send their events: nowhere. */
export const NO_CHANGES: ChangeSink = { wanted: false, publish: () => undefined };

/** Buffers a transaction's events until it commits; dropped on rollback. */
export class PendingChanges implements ChangeSink {
  readonly events: ChangeEvent[] = [];
  constructor(readonly wanted: boolean) {}
  publish(events: readonly ChangeEvent[]): void {
    this.events.push(...events);
  }
}

/** Events for rows changed by one write; `before` pairs with `after` by index for UPDATE. */
export function changeEvents(table: TableInfo, op: ChangeOp, after: readonly Row[], before: readonly Row[] = []): ChangeEvent[] {
  const at = Date.now();
  if (op === 'DELETE') return before.map((old) => ({ table: table.name, op, old, at }));
  return after.map((row, i) => {
    if (op === 'INSERT') return { table: table.name, op, row, at };
    return { table: table.name, op, row, old: before[i] ?? primaryKeyOf(table, row), at };
  });
}
