/**
 * A Postgres logical replication reader (pgoutput through pg-logical-replication, the only file
 * importing it): streams the source's slot, gathers each transaction's row changes, hands them
 * on at COMMIT (without waiting for the transactions before it) and acknowledges the commit's
 * end LSN to the server only once the handler has resolved for it and every earlier one (the
 * relay has them), in commit order. Never the library's automatic
 * acknowledgement: it would confirm what was received, not what is safe. A keepalive that asks
 * for an answer gets the last safe LSN, or the server's position when nothing is pending (so a
 * quiet source does not pin WAL).
 *
 * The replication connection holds a permit of its server's budget (server-budget.ts) for as
 * long as it is open. A slot still streamed by a walsender that outlived its reader (a reader
 * that lost its lease, a process killed before the server noticed) is taken over: that
 * walsender is ended and the start retried.
 */
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { changePosition, type CaptureReader, type CapturedChange } from './capture.js';
import type { CaptureNames } from './postgres-capture-setup.js';
import type { PermitHolder, ServerBudget } from './server-budget.js';
import type { Row } from './types.js';

export interface LogicalReaderOptions {
  connectionString: string;
  connectTimeoutMs: number;
  names: CaptureNames;
  namespace: string;
  budget: ServerBudget;
  /** The budget's name for this connection. */
  tenant: string;
  /** Ends a walsender that still streams the slot. */
  takeOver(): Promise<void>;
  /**
   * A slot of the replication connection's own, dropped by the server when it closes (embedded:
   * nothing to resume, and nothing left to pin WAL after a crash); else the source's durable slot.
   */
  temporarySlot: boolean;
}

/** pgoutput, first making the connection's temporary slot when asked. */
class SlotPlugin extends PgoutputPlugin {
  constructor(
    publication: string,
    private readonly temporary: boolean,
  ) {
    super({ protoVersion: 1, publicationNames: [publication] });
  }

  override async start(client: Parameters<PgoutputPlugin['start']>[0], slotName: string, lastLsn: string): Promise<unknown> {
    if (this.temporary) await client.query(`CREATE_REPLICATION_SLOT "${slotName}" TEMPORARY LOGICAL pgoutput`);
    return super.start(client, slotName, lastLsn);
  }
}

/** Transactions handed on and not yet acknowledged, beyond which the stream pauses. */
const MAX_PENDING = 512;
const TAKE_OVER_ATTEMPTS = 3;

interface OpenTransaction {
  lsn: string;
  at: number;
  changes: CapturedChange[];
}

interface PausableStream {
  pause?(): void;
  resume?(): void;
}

export class PostgresLogicalReader implements CaptureReader {
  private service: LogicalReplicationService | undefined;
  private stopped = false;

  constructor(private readonly opts: LogicalReaderOptions) {}

  async run(onTransaction: (changes: readonly CapturedChange[]) => Promise<void>, onStarted: () => void = () => undefined): Promise<void> {
    const holder: PermitHolder = { tenant: this.opts.tenant };
    await this.opts.budget.acquire(holder);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.stream(onTransaction, onStarted);
        } catch (err) {
          if (this.stopped || attempt >= TAKE_OVER_ATTEMPTS || !slotBusy(err)) throw err;
          await this.opts.takeOver();
        }
      }
    } finally {
      this.opts.budget.release(holder);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.service?.stop().catch(() => undefined);
  }

  private stream(onTransaction: (changes: readonly CapturedChange[]) => Promise<void>, onStarted: () => void): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const service = new LogicalReplicationService(
      { connectionString: this.opts.connectionString, application_name: 'mobo:cdc', connectionTimeoutMillis: this.opts.connectTimeoutMs },
      { acknowledge: { auto: false, timeoutSeconds: 0 } },
    );
    this.service = service;
    let open: OpenTransaction | undefined;
    let chain: Promise<void> = Promise.resolve();
    let pending = 0;
    let paused = false;
    let acknowledged = '0/0';
    const connectionStream = (): PausableStream | undefined => (service as unknown as { _connection?: { stream?: PausableStream } })._connection?.stream;

    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        void service.stop().catch(() => undefined).then(() => (err === undefined || this.stopped ? resolve() : reject(err)));
      };
      service.on('error', (err) => finish(err));
      service.on('start', () => onStarted());
      service.on('heartbeat', (lsn, _at, shouldRespond) => {
        if (!shouldRespond) return;
        // Nothing received is still unsafe: the server's position can be confirmed as it is.
        void service.acknowledge(!open && pending === 0 ? lsn : acknowledged).catch(() => undefined);
      });
      service.on('data', (_lsn: string, message: Pgoutput.Message) => {
        switch (message.tag) {
          case 'begin':
            open = { lsn: message.commitLsn ?? '0/0', at: Math.floor(Number(message.commitTime) / 1000), changes: [] };
            return;
          case 'insert':
          case 'update':
          case 'delete': {
            if (!open || message.relation.schema !== this.opts.namespace) return;
            open.changes.push(captured(open, message));
            return;
          }
          case 'commit': {
            const txn = open;
            open = undefined;
            if (!txn) return;
            const end = message.commitEndLsn ?? txn.lsn;
            pending += 1;
            if (pending > MAX_PENDING && !paused) {
              paused = true;
              connectionStream()?.pause?.();
            }
            // Handed on at once (the relay publishes in commit order, many in flight); acknowledged
            // in commit order, each only once it and every transaction before it are safe.
            const safe = txn.changes.length > 0 ? onTransaction(txn.changes) : Promise.resolve();
            safe.catch(() => undefined);
            chain = chain
              .then(() => safe)
              .then(() => {
                pending -= 1;
                if (paused && pending <= MAX_PENDING / 2) {
                  paused = false;
                  connectionStream()?.resume?.();
                }
                acknowledged = end;
                return service.acknowledge(end).then(() => undefined);
              })
              // The relay could not take it: restart from the last acknowledged transaction.
              .catch((err: unknown) => finish(err));
            return;
          }
          default:
            return;
        }
      });
      service.subscribe(new SlotPlugin(this.opts.names.publication, this.opts.temporarySlot), this.opts.names.slot).then(
        () => finish(this.stopped ? undefined : new Error('The replication stream ended')),
        (err: unknown) => finish(err),
      );
    });
  }
}

function captured(txn: OpenTransaction, message: Pgoutput.MessageInsert | Pgoutput.MessageUpdate | Pgoutput.MessageDelete): CapturedChange {
  const base = { pos: changePosition(txn.lsn, txn.changes.length), table: message.relation.name, at: txn.at };
  if (message.tag === 'insert') return { ...base, op: 'INSERT', row: jsonSafe(message.new) };
  const keyed = (row: Row): Row => Object.fromEntries(message.relation.keyColumns.map((k) => [k, row[k]]));
  if (message.tag === 'update') {
    // The old row comes whole with REPLICA IDENTITY FULL, its key when the key changed, else not at all.
    return { ...base, op: 'UPDATE', row: jsonSafe(message.new), old: jsonSafe(message.old ?? message.key ?? keyed(message.new)) };
  }
  return { ...base, op: 'DELETE', old: jsonSafe(message.old ?? message.key ?? {}) };
}

/** pg's parsed values in the form to_jsonb would give them (the trigger path's), so one decoder serves both. */
function jsonSafe(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [name, value] of Object.entries(row)) {
    if (value === undefined) continue;
    if (value instanceof Date) out[name] = Number.isNaN(value.getTime()) ? null : value.toISOString();
    else if (Buffer.isBuffer(value)) out[name] = `\\x${value.toString('hex')}`;
    else out[name] = value;
  }
  return out;
}

/** 55006 object_in_use: "replication slot … is active for PID …". */
function slotBusy(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '55006' || /is active for PID/i.test(e?.message ?? '');
}
