/**
 * The change feed of a source captured by logical replication: started by the first
 * subscriber, it makes sure the publication and slot exist (postgres-capture-setup.ts), then
 * attaches to the relay, which runs the reader here or elsewhere in the cluster and delivers
 * every captured change once, in commit order. Rows are decoded against this node's schema
 * as the trigger path's are. No trigger: tables join the publication when the source learns of
 * them (tablesCreated: DDL through the adapter, or a schema refresh that found a psql table).
 */
import type { CaptureReader, CapturedChange, ChangeRelay, RelayAttachment } from './capture.js';
import type { ChangeSource } from './changes.js';
import { FeedListeners } from './feed-listeners.js';
import { decodeJsonRow } from './postgres-feed.js';
import type { SchemaCache } from './schema-cache.js';
import type { ChangeEvent, ChangeFeed, TableInfo } from './types.js';

/** The Postgres parts the feed drives (postgres.ts wires them to the source's driver). */
export interface LogicalCapture {
  /** The capture key: names the slot, publication and relay stream. */
  readonly key: string;
  /** Publication (with these tables) and slot, made if missing. */
  ensure(tables: readonly TableInfo[]): Promise<void>;
  publish(tables: readonly TableInfo[]): Promise<void>;
  reader(): CaptureReader;
}

export class LogicalChangeFeed implements ChangeSource {
  readonly wanted = false;
  private readonly listeners = new FeedListeners(
    () => this.start(),
    () => this.stop(),
  );
  private attachment: RelayAttachment | undefined;
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

  subscribe(onChange: (event: ChangeEvent) => void): Promise<ChangeFeed> {
    return this.listeners.subscribe(onChange);
  }

  async tablesCreated(tables: readonly TableInfo[]): Promise<void> {
    if (this.listeners.started) await this.capture.publish(tables);
  }

  close(): Promise<void> {
    return this.listeners.close();
  }

  private async start(): Promise<void> {
    const { tables } = await this.schema.get(true);
    await this.capture.ensure(tables);
    this.attachment = await this.relay.attach(this.capture.key, () => this.capture.reader(), (change) => this.enqueue(change));
  }

  private async stop(): Promise<void> {
    const attachment = this.attachment;
    this.attachment = undefined;
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
    this.listeners.deliver(event);
  }
}
