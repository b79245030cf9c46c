/**
 * What a chaos run records, as plain data: the checker (checker.ts) is a pure function of it
 * and of the table read back from Postgres at the end. Times are milliseconds since the run's
 * start, on the run process's monotonic clock (every recorder lives in that one process).
 */

/** One HTTP try of an operation. `status` is the HTTP status, or why there was none. */
export interface Attempt {
  start: number;
  end: number;
  status: number | 'timeout' | 'network';
  /** The error envelope's code, when the answer had one. */
  code?: string;
  /** The start of a non-2xx answer without a code (a proxy's own page, say), to tell who answered. */
  detail?: string;
}

/**
 * Jepsen's outcomes: `ok` acknowledged (a 2xx), `fail` definitely not applied (a definite 4xx
 * answer), `info` unknown (the client gave up retrying; it may or may not have been applied).
 */
export type Outcome = 'ok' | 'fail' | 'info';

export interface WriteOp {
  /** The write's unique id: the row's `write_id` and the request's Idempotency-Key. */
  id: string;
  writer: number;
  start: number;
  end: number;
  outcome: Outcome;
  attempts: Attempt[];
}

/** A read of one write by id, of a write acknowledged before the read started. */
export interface ReadOp {
  writeId: string;
  start: number;
  end: number;
  outcome: Outcome;
  /** On `ok`: whether the row was there. */
  found?: boolean;
  attempts: Attempt[];
}

/** A span while a subscriber's subscription stood: from `subscription_succeeded` to the connection leaving `connected`. */
export interface Session {
  start: number;
  /** Null while still connected when the run ended. */
  end: number | null;
}

export interface Delivery {
  writeId: string;
  /** The row's `seq`: a write applied twice is two rows, two changes, and not a repeat. */
  seq: number;
  at: number;
}

export interface SubscriberLog {
  name: string;
  /** The node it connects to (it reconnects there after a restart): the checker ends its sessions when that node is killed. */
  node: string;
  sessions: Session[];
  received: Delivery[];
}

export type NemesisAction = 'kill-actor' | 'kill-node' | 'pause-node' | 'kill-nats';

/** One fault, from its injection (`start`) to its healing (`end`: node READY again, SIGCONT sent, NATS server healthy). */
export interface NemesisEvent {
  action: NemesisAction;
  /** Node id, `<node>/<actor>`, or NATS server name. */
  target: string;
  start: number;
  end: number;
  /** For kill-node and kill-nats: from the restart to ready. */
  restartMs?: number;
  /** Set when the fault could not be injected or healed as planned. */
  error?: string;
}

export interface History {
  durationMs: number;
  writes: WriteOp[];
  reads: ReadOp[];
  subscribers: SubscriberLog[];
  nemesis: NemesisEvent[];
}

/** A row of the chaos table as read back from Postgres. */
export interface TableRow {
  writeId: string;
  seq: number;
}
