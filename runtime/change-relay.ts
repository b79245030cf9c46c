/**
 * The contract between a change log reader and whoever carries its changes to the nodes that
 * listen (adapters/capture.ts explains the whole). A reader hands out each committed
 * transaction's changes with a position; a ChangeRelay runs the reader where it decides and
 * delivers each change once, in order: embedded, DirectRelay (this process); in a cluster,
 * cluster/change-relay.ts (JetStream). Pure: no driver, no NATS client.
 */

/**
 * One row change as it travels: rows in JSON-safe form (timestamps as ISO strings, bytes as
 * `\x…` hex), decoded against the schema where it is delivered.
 */
export interface CapturedChange {
  /** Total order of the source's changes: the commit's LSN (16 hex digits), `.`, the change's index in it (8 digits). */
  pos: string;
  table: string;
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  row?: Record<string, unknown>;
  old?: Record<string, unknown>;
  /** Commit time, epoch ms. */
  at: number;
}

/** A log reader as a relay runs it. */
export interface CaptureReader {
  /**
   * Streams from where the database last had an acknowledgement. Each transaction's changes go
   * to `onTransaction`, in commit order; the reader acknowledges the transaction once the
   * promise resolves (in order). `onStarted` is called once the stream is open (every change
   * committed from then on will come). Resolves when stopped, rejects when the stream fails.
   */
  run(onTransaction: (changes: readonly CapturedChange[]) => Promise<void>, onStarted?: () => void): Promise<void>;
  stop(): Promise<void>;
}

export interface RelayAttachment {
  /** `holder` while this process runs the reader, `follower` while another does. */
  role(): 'holder' | 'follower';
  close(): Promise<void>;
}

/** Carries one source's captured changes from its reader to this node's feed. */
export interface ChangeRelay {
  readonly kind: 'direct' | 'jetstream';
  /** Whether changes survive the reader's restart (a durable slot, resumed): a cluster's relay; embedded, the slot lives with its connection. */
  readonly durable: boolean;
  /** `deliver` hears each change once, in order; `reader` is run where the relay decides (here, or on one node of the cluster). */
  attach(key: string, reader: () => CaptureReader, deliver: (change: CapturedChange) => void): Promise<RelayAttachment>;
  /** Forgets what the relay keeps for `key` (the stream of a removed source). */
  drop(key: string): Promise<void>;
}

/** Positions compare as strings: both parts are fixed-width. */
export function changePosition(commitLsn: string, index: number): string {
  const [high = '0', low = '0'] = commitLsn.split('/');
  return `${high.padStart(8, '0')}${low.padStart(8, '0')}`.toUpperCase() + '.' + String(index).padStart(8, '0');
}

/** Drops what a consumer has seen already (a reader that failed over sends a transaction again). */
export class PositionFilter {
  /** `last`: the highest position already delivered (a follower resuming where another stopped). */
  constructor(private last = '') {}
  /** The highest position let through so far. */
  get highest(): string {
    return this.last;
  }
  fresh(pos: string): boolean {
    if (pos <= this.last) return false;
    this.last = pos;
    return true;
  }
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * Runs a reader until stopped, restarting it with backoff when its stream fails (a dropped
 * connection, the server restarting): it resumes from the last acknowledged transaction.
 */
export class ReaderLoop {
  private reader: CaptureReader | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  readonly done: Promise<void>;
  /** Resolves when the reader's stream first opens; rejects with its first failure before that (the loop goes on retrying). */
  readonly started: Promise<void>;

  constructor(
    make: () => CaptureReader,
    onTransaction: (changes: readonly CapturedChange[]) => Promise<void>,
    onError: (err: unknown) => void = () => undefined,
  ) {
    let opened!: () => void;
    let failed!: (err: unknown) => void;
    this.started = new Promise<void>((resolve, reject) => {
      opened = resolve;
      failed = reject;
    });
    this.started.catch(() => undefined);
    this.done = (async () => {
      let backoff = RETRY_MIN_MS;
      while (!this.stopped) {
        this.reader = make();
        const started = Date.now();
        try {
          await this.reader.run(onTransaction, opened);
        } catch (err) {
          failed(err);
          if (!this.stopped) onError(err);
        }
        if (this.stopped) break;
        if (Date.now() - started > RETRY_MAX_MS) backoff = RETRY_MIN_MS;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, backoff).unref();
        });
        backoff = Math.min(backoff * 2, RETRY_MAX_MS);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.reader?.stop().catch(() => undefined);
    await this.done;
  }
}

/** Embedded: the reader runs in this process and feeds it directly; a change is acknowledged once delivered. */
export class DirectRelay implements ChangeRelay {
  readonly kind = 'direct';
  readonly durable = false;

  async attach(_key: string, reader: () => CaptureReader, deliver: (change: CapturedChange) => void): Promise<RelayAttachment> {
    const seen = new PositionFilter();
    const loop = new ReaderLoop(reader, async (changes) => {
      for (const change of changes) if (seen.fresh(change.pos)) deliver(change);
    });
    // The slot is the stream's own: a change committed before it opened would never come.
    await loop.started.catch(async (err: unknown) => {
      await loop.stop();
      throw err;
    });
    return { role: () => 'holder', close: () => loop.stop() };
  }

  async drop(): Promise<void> {}
}

export const directRelay: ChangeRelay = new DirectRelay();

