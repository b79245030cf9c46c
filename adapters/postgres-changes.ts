/**
 * Which change feed a Postgres source runs, chosen once when its first subscriber comes
 * (`ds.changes`): `logical` (logical replication, logical-feed.ts), `trigger` (triggers + NOTIFY,
 * postgres-feed.ts), or `auto`: logical where the server allows it (wal_level=logical, a role
 * with REPLICATION, a free slot) and the publication and slot could be made, else triggers,
 * with the reason kept for `mobo status` (also when the embedded reader's first start fails).
 */
import { MoboError, describeError } from '../runtime/index.js';
import { reportCapture, type CaptureMode, type CapturePath, type CaptureReader, type CaptureStatus, type ChangeRelay } from './capture.js';
import type { ChangeSource } from './changes.js';
import { LogicalChangeFeed } from './logical-feed.js';
import { captureNames, dropPublication, ensureCapture, logicalUnavailable, publishTables, type CaptureNames } from './postgres-capture-setup.js';
import type { SchemaCache } from './schema-cache.js';
import type { SqlRunner } from './sql/driver.js';
import type { ChangeEvent, ChangeFeed, TableInfo } from './types.js';

export interface PostgresChangesOptions {
  mode: CaptureMode;
  key: string;
  namespace: string;
  runner: SqlRunner;
  schema: SchemaCache;
  relay: ChangeRelay;
  trigger(): ChangeSource;
  reader(names: CaptureNames): CaptureReader;
  /** One reader's share of the server's connection budget (replication-share.ts): its release, or why not. */
  claimReader(): (() => void) | string;
}

export class PostgresChanges implements ChangeSource {
  readonly wanted = false;
  private chosen: Promise<ChangeSource> | undefined;
  private current: ChangeSource | undefined;
  private path: CapturePath | undefined;
  private reason: string | undefined;
  private unreport: (() => void) | undefined;
  private releaseReader: (() => void) | undefined;
  private readonly names: CaptureNames;

  constructor(private readonly opts: PostgresChangesOptions) {
    this.names = captureNames(opts.key);
  }

  publish(): void {}

  async subscribe(onChange: (event: ChangeEvent) => void): Promise<ChangeFeed> {
    this.chosen ??= this.choose().catch((err: unknown) => {
      this.chosen = undefined;
      throw err;
    });
    const chosen = await this.chosen;
    try {
      return await chosen.subscribe(onChange);
    } catch (err) {
      // `auto` whose reader could not start (no free walsender, say): triggers instead, saying why.
      if (this.opts.mode !== 'auto' || this.path !== 'logical') throw err;
      this.unreport?.();
      await chosen.close().catch(() => undefined);
      this.releaseReader?.();
      this.reason = describeError(err);
      const trigger = this.use(this.opts.trigger(), 'trigger');
      this.chosen = Promise.resolve(trigger);
      return trigger.subscribe(onChange);
    }
  }

  async tablesCreated(tables: readonly TableInfo[]): Promise<void> {
    await this.current?.tablesCreated?.(tables);
  }

  async close(): Promise<void> {
    this.unreport?.();
    await this.current?.close();
    this.releaseReader?.();
    // Embedded, nothing of the capture outlives the feed (the slot was the connection's own).
    if (this.path === 'logical' && !this.opts.relay.durable) await dropPublication(this.opts.runner, this.names).catch(() => undefined);
  }

  private async choose(): Promise<ChangeSource> {
    const { mode } = this.opts;
    if (mode !== 'trigger') {
      let why = await logicalUnavailable(this.opts.runner, this.names);
      const claim = why === undefined ? this.opts.claimReader() : undefined;
      if (typeof claim === 'string') why = claim;
      else this.releaseReader = claim;
      if (why === undefined) {
        try {
          // The publication and slot are made here, so a refusal (no ownership of a table) still falls back.
          await ensureCapture(this.opts.runner, this.names, this.opts.namespace, (await this.opts.schema.get(true)).tables, this.opts.relay.durable);
          return this.use(this.logicalFeed(), 'logical');
        } catch (err) {
          this.releaseReader?.();
          if (mode === 'logical') throw err;
          this.reason = describeError(err);
        }
      } else if (mode === 'logical') {
        throw new MoboError('DS_UNSUPPORTED', `ds.changes is logical but this server cannot replicate: ${why}`, { details: { field: 'ds.changes', reason: why } });
      } else {
        this.reason = why;
      }
    }
    return this.use(this.opts.trigger(), 'trigger');
  }

  private use(feed: ChangeSource, path: CapturePath): ChangeSource {
    this.current = feed;
    this.path = path;
    this.unreport = reportCapture(() => this.status()!);
    return feed;
  }

  status(): CaptureStatus | undefined {
    const path = this.path;
    if (!path) return undefined;
    const role = this.role();
    return {
      key: this.opts.key,
      path,
      ...(this.reason === undefined ? {} : { reason: this.reason }),
      ...(path === 'logical' ? { slot: this.names.slot, relay: this.opts.relay.kind, ...(role ? { role } : {}) } : {}),
    };
  }

  private role(): 'holder' | 'follower' | undefined {
    return this.current instanceof LogicalChangeFeed ? this.current.role() : undefined;
  }

  private logicalFeed(): LogicalChangeFeed {
    const { runner, namespace, names } = { ...this.opts, names: this.names };
    return new LogicalChangeFeed(
      {
        key: this.opts.key,
        ensure: (tables) => ensureCapture(runner, names, namespace, tables, this.opts.relay.durable),
        publish: (tables) => publishTables(runner, names, namespace, tables),
        reader: () => this.opts.reader(names),
      },
      this.opts.relay,
      this.opts.schema,
    );
  }
}
