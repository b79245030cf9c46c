/**
 * The change feed of a source captured by logical replication: started by the first
 * subscriber, it makes sure the publication and slot exist (postgres-capture-setup.ts), then
 * attaches to the relay, which runs the reader here or elsewhere in the cluster and delivers
 * every captured change once, in commit order. Rows are decoded against this node's schema
 * as the trigger path's are. No trigger: tables join the publication when the source learns of
 * them (tableCreated: DDL through the adapter, or a schema refresh that found a psql table).
 */
import type { CapturedChange, ChangeRelay, RelayAttachment } from './capture.js';
import type { ChangeSource } from './changes.js';
import { decodeJsonRow } from './postgres-feed.js';
import type { SchemaCache } from './schema-cache.js';
import type { ChangeEvent, ChangeFeed, TableInfo } from './types.js';
import type { CaptureReader } from './capture.js';

/** The Postgres parts the feed drives (postgres.ts wires them to the source's driver). */
export interface LogicalCapture {
  /** The capture key: names the slot, publication and relay stream. */
  readonly key: string;
  /** Publication (with these tables) and slot, made if missing. */
  ensure(tables: readonly TableInfo[]): Promise<void>;
  publish(table: TableInfo): Promise<void>;
  reader(): CaptureReader;
}

export class LogicalChangeFeed implements ChangeSource {
  readonly wanted = false;
  private readonly listeners = new Set<(event: ChangeEvent) => void>();
  private starting: Promise<RelayAttachment> | undefined;
  private delivery: Promise<void> = Promise.resolve();

  constructor(
    private readonly capture: LogicalCapture,
    private readonly relay: ChangeRelay,
    private readonly schema: SchemaCache,
  ) {}

  /** The log has every committed change; the write paths have nothing to add. */
  publish(): void {}

  role(): 'holder' | 'follower' | undefined {
    return this.attachment?.role();
  }

  private attachment: RelayAttachment | undefined;

  async subscribe(onChange: (event: ChangeEvent) => void): Promise<ChangeFeed> {
    const listener = (event: ChangeEvent): void => onChange(event);
    this.listeners.add(listener);
    try {
      this.starting ??= this.start().catch((err: unknown) => {
        this.starting = undefined;
        throw err;
      });
      await this.starting;
    } catch (err) {
      this.listeners.delete(listener);
      throw err;
    }
    return {
      close: async () => {
        this.listeners.delete(listener);
        if (this.listeners.size === 0) await this.stop();
      },
    };
  }

  async tableCreated(table: TableInfo): Promise<void> {
    if (this.starting) await this.capture.publish(table);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.stop();
  }

  private async start(): Promise<RelayAttachment> {
    const { tables } = await this.schema.get(true);
    await this.capture.ensure(tables);
    this.attachment = await this.relay.attach(this.capture.key, () => this.capture.reader(), (change) => this.enqueue(change));
    return this.attachment;
  }

  private async stop(): Promise<void> {
    const starting = this.starting;
    this.starting = undefined;
    this.attachment = undefined;
    const attachment = await starting?.catch(() => undefined);
    await attachment?.close();
  }

  /** Chained, so events reach listeners in commit order even while a row waits for its table's schema. */
  private enqueue(change: CapturedChange): void {
    this.delivery = this.delivery.then(() => this.deliver(change)).catch(() => undefined);
  }

  private async deliver(change: CapturedChange): Promise<void> {
    if (this.listeners.size === 0) return;
    const table = await this.schema.find(change.table);
    const event: ChangeEvent = { table: change.table, op: change.op, at: change.at };
    if (change.row) event.row = decodeJsonRow(table, change.row);
    if (change.old) event.old = decodeJsonRow(table, change.old);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own.
      }
    }
  }
}
