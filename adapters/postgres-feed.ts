/**
 * The Postgres change feed: triggers + LISTEN/NOTIFY, so every committed change is seen,
 * whoever made it. One trigger function per schema (`mobo_notify`) is attached to each watched
 * table; it publishes {schema, table, op, row, old} on channel `mobo_changes`. A payload over
 * 7,500 bytes (NOTIFY's limit is 8,000) is stored in the side table `mobo_changes` and only
 * {table, op, pk, id} is notified; the feed reads the stored change back, so big rows (and the
 * old row of a DELETE) are delivered whole. Stored changes are pruned after delivery once
 * older than a minute (not at once: other nodes listening may still need them).
 *
 * Guarantee: at-most-once while connected, in commit order. The LISTEN connection is dedicated
 * (not from the pool) and reconnects with backoff; changes committed while it is down are not
 * replayed. Triggers stay installed after the feed closes (an unheard NOTIFY is cheap).
 */
import type { ChangeSource } from './changes.js';
import { FeedListeners } from './feed-listeners.js';
import type { SchemaCache } from './schema-cache.js';
import type { SqlRunner } from './sql/driver.js';
import { postgresDialect } from './sql/dialects.js';
import type { ChangeEvent, ChangeFeed, ChangeOp, Row, TableInfo } from './types.js';
import { decodeValue } from './values.js';

export const SIDE_TABLE = 'mobo_changes';
const INLINE_LIMIT_BYTES = 7500;
const RETENTION = "interval '1 minute'";
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;
/** Marks the installed trigger function (its comment): a newer body here is installed over an older one. */
const FEED_VERSION = 'mobo feed 2';

export interface ListenConnection {
  close(): Promise<void>;
}

/** Opens the LISTEN connection; `onLost` is called at most once when it dies. */
export type OpenListener = (onNotify: (payload: string) => void, onLost: (err: unknown) => void) => Promise<ListenConnection>;

interface Notice {
  s: string;
  t: string;
  op: ChangeOp;
  row?: Row | null;
  old?: Row | null;
  pk?: Row | null;
  id?: number;
}

const quote = postgresDialect.quote;
const literal = (text: string): string => `'${text.split("'").join("''")}'`;

export class PostgresChangeFeed implements ChangeSource {
  readonly wanted = false;
  private readonly listeners = new FeedListeners(
    () => this.start(),
    () => this.stop(),
  );
  private connection: ListenConnection | undefined;
  private delivery: Promise<void> = Promise.resolve();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private backoffMs = RECONNECT_MIN_MS;
  /** Tables whose trigger this feed installed or found in place. */
  private readonly verified = new Set<string>();

  constructor(
    private readonly namespace: string,
    private readonly runner: SqlRunner,
    private readonly schema: SchemaCache,
    private readonly openListener: OpenListener,
  ) {}

  /** Triggers publish the changes; the write paths have nothing to add. */
  publish(): void {}

  subscribe(onChange: (event: ChangeEvent) => void): Promise<ChangeFeed> {
    return this.listeners.subscribe(onChange);
  }

  /**
   * Tables this feed put its trigger on before are looked at first (one catalog read: a table
   * dropped and made again lost it); the others get it at once.
   */
  async tablesCreated(tables: readonly TableInfo[]): Promise<void> {
    if (!this.listeners.started || tables.length === 0) return;
    const known = tables.filter((t) => this.verified.has(t.name));
    const stale = known.length > 0 && !(await this.installed(known));
    const todo = stale ? tables : tables.filter((t) => !this.verified.has(t.name));
    if (todo.length > 0) await this.install(todo);
  }

  close(): Promise<void> {
    return this.listeners.close();
  }

  private async start(): Promise<void> {
    const { tables } = await this.schema.get(true);
    if (await this.installed(tables)) for (const t of tables) this.verified.add(t.name);
    else await this.install(tables);
    this.connection = await this.openListener((payload) => this.enqueue(payload), () => this.lost());
  }

  private async stop(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const connection = this.connection;
    this.connection = undefined;
    await connection?.close();
  }

  private lost(): void {
    this.connection = undefined;
    if (this.listeners.size === 0 || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.openListener((payload) => this.enqueue(payload), () => this.lost()).then(
        (connection) => {
          this.backoffMs = RECONNECT_MIN_MS;
          if (this.listeners.size === 0) void connection.close();
          else this.connection = connection;
        },
        () => this.lost(),
      );
    }, this.backoffMs);
    this.reconnectTimer.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, RECONNECT_MAX_MS);
  }

  /**
   * Whether this version of the function, the side table and a trigger with the right key on
   * every table are there already: one catalog read, no lock, so a node starting a thousand
   * sources does not rewrite a thousand schemas' triggers one after the other.
   */
  private async installed(tables: readonly TableInfo[]): Promise<boolean> {
    const { rows } = await this.runner.run({
      params: [this.namespace, SIDE_TABLE],
      sql: `SELECT (SELECT obj_description(p.oid, 'pg_proc') FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = 'mobo_notify' AND p.pronargs = 0) AS version,
  EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2) AS side,
  (SELECT json_object_agg(c.relname, encode(t.tgargs, 'hex')) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND t.tgname = 'mobo_watch') AS triggers`,
    });
    const row = rows[0];
    if (!row || row['version'] !== FEED_VERSION || row['side'] !== true) return false;
    const triggers = (row['triggers'] ?? {}) as Record<string, string>;
    return tables.every((t) => triggers[t.name] === Buffer.from(t.primaryKey.map((k) => `${k}\0`).join(''), 'utf8').toString('hex'));
  }

  /** Function, side table and one trigger per table, under a lock of the schema so concurrent installs do not collide. */
  private async install(tables: readonly TableInfo[]): Promise<void> {
    const schema = quote(this.namespace);
    const side = `${schema}.${quote(SIDE_TABLE)}`;
    const triggers = tables.map(
      (t) =>
        `CREATE OR REPLACE TRIGGER mobo_watch AFTER INSERT OR UPDATE OR DELETE ON ${schema}.${quote(t.name)} ` +
        `FOR EACH ROW EXECUTE FUNCTION ${schema}.mobo_notify(${t.primaryKey.map(literal).join(', ')});`,
    );
    await this.runner.run({
      params: [],
      sql: `DO $install$ BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('mobo_feed:' || ${literal(this.namespace)}));
  CREATE TABLE IF NOT EXISTS ${side} (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), payload jsonb NOT NULL);
  CREATE OR REPLACE FUNCTION ${schema}.mobo_notify() RETURNS trigger LANGUAGE plpgsql AS $notify$
  DECLARE
    body jsonb;
    payload text;
    keyed jsonb;
    change_id bigint;
  BEGIN
    body := jsonb_build_object('s', TG_TABLE_SCHEMA, 't', TG_TABLE_NAME, 'op', TG_OP,
      'row', CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END,
      'old', CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END);
    payload := body::text;
    IF octet_length(payload) > ${INLINE_LIMIT_BYTES} THEN
      SELECT jsonb_object_agg(k, COALESCE(body->'row', body->'old')->k) INTO keyed FROM unnest(TG_ARGV) AS k;
      INSERT INTO ${side} (payload) VALUES (body) RETURNING id INTO change_id;
      payload := jsonb_build_object('s', TG_TABLE_SCHEMA, 't', TG_TABLE_NAME, 'op', TG_OP, 'pk', keyed, 'id', change_id)::text;
    END IF;
    PERFORM pg_notify('mobo_changes', payload);
    RETURN NULL;
  END $notify$;
  COMMENT ON FUNCTION ${schema}.mobo_notify() IS ${literal(FEED_VERSION)};
  ${triggers.join('\n  ')}
END $install$`,
    });
    for (const t of tables) this.verified.add(t.name);
  }

  /** Deliveries are chained so events reach listeners in notification (commit) order. */
  private enqueue(payload: string): void {
    this.delivery = this.delivery.then(() => this.deliver(payload)).catch(() => undefined);
  }

  private async deliver(payload: string): Promise<void> {
    let notice = JSON.parse(payload) as Notice;
    if (notice.s !== this.namespace || this.listeners.size === 0) return;
    if (notice.id !== undefined) notice = await this.storedChange(notice);
    const table = await this.schema.find(notice.t);
    const event: ChangeEvent = { table: notice.t, op: notice.op, at: Date.now() };
    if (notice.row) event.row = decodeJsonRow(table, notice.row);
    if (notice.old) event.old = decodeJsonRow(table, notice.old);
    this.listeners.deliver(event);
  }

  private async storedChange(notice: Notice): Promise<Notice> {
    const side = `${quote(this.namespace)}.${quote(SIDE_TABLE)}`;
    const { rows } = await this.runner.run({ sql: `SELECT payload FROM ${side} WHERE id = $1`, params: [notice.id] });
    await this.runner.run({ sql: `DELETE FROM ${side} WHERE at < now() - ${RETENTION}`, params: [] });
    const stored = rows[0]?.['payload'] as Notice | undefined;
    // Pruned before we read it (a listener down for over a minute): the key is all there is.
    return stored ?? { ...notice, ...(notice.op === 'DELETE' ? { old: notice.pk ?? null } : { row: notice.pk ?? null }) };
  }
}

/** A row as to_jsonb wrote it, in canonical form (bytea arrives as "\\x…" hex). */
export function decodeJsonRow(table: TableInfo | undefined, raw: Row): Row {
  if (!table) return raw;
  const row: Row = {};
  for (const column of table.columns) {
    if (!(column.name in raw)) continue;
    const value = raw[column.name];
    row[column.name] =
      column.type === 'bytes' && typeof value === 'string' && value.startsWith('\\x')
        ? Buffer.from(value.slice(2), 'hex')
        : decodeValue(column.type, value, false);
  }
  return row;
}
