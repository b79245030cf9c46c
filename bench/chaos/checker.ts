/**
 * The chaos run's checker: a pure function of the recorded history and the table as Postgres
 * holds it at the end (Jepsen's shape: the history is the only truth about what clients saw).
 *
 * Writes (these always decide the verdict):
 * - lost: acknowledged (2xx) but not in the table;
 * - duplicates: a write id in the table more than once (acknowledged or not: one Idempotency-Key
 *   must never be applied twice);
 * - failed but applied: a definite refusal (4xx) whose row is there anyway;
 * - unknown rows: a row no client ever tried to write;
 * - stale reads: a read that began after a write's acknowledgement and answered 2xx without it.
 * A fault the nemesis could not heal (a node or NATS server that did not come back) fails too.
 * Writes the client gave up on (`info`) may be there or not; they are counted, not judged.
 *
 * Realtime, per subscriber: a gap is an acknowledged write whose whole request (first try to
 * acknowledgement) lies inside one of the subscriber's sessions but which it never received (a
 * session ends when the subscriber's node is killed, whenever its client notices, and a write
 * acknowledged within `deliveryGraceMs` of a session's end is not expected in it);
 * a repeat is one row's change received twice; a phantom is a received write that is not in the table.
 * What counts against the verdict depends on the capture's promise (`realtime`):
 * - `exactly-once`: logical replication relayed over JetStream (README, MagWS: "nothing lost or
 *   repeated"): gaps, repeats and phantoms all fail;
 * - `at-most-once`: triggers + NOTIFY (adapters/postgres-feed.ts: "changes committed while [the
 *   LISTEN connection] is down are not replayed"): gaps are named in the report but allowed;
 *   repeats and phantoms fail, and every subscriber must have received something.
 */
import type { Attempt, History, NemesisEvent, Outcome, TableRow } from './history.js';

export type RealtimePromise = 'exactly-once' | 'at-most-once';

export interface CheckOptions {
  realtime: RealtimePromise;
  /** The lowest operation availability (ok / all writes and reads, with client retries) that passes, 0..1. */
  minAvailability: number;
  /**
   * A change takes time from commit to a subscriber (a relay hop, a node's event loop): a write
   * acknowledged less than this before a session ended is not expected in it, since its change
   * may have been on its way when the node died. Default 1,000 ms.
   */
  deliveryGraceMs?: number;
}

export interface SubscriberVerdict {
  name: string;
  sessions: number;
  received: number;
  /** Acknowledged writes it was connected for but never got. */
  gaps: string[];
  repeats: string[];
  phantoms: string[];
}

export interface SecondStats {
  second: number;
  writesOk: number;
  /** Writes that ended `fail` or `info`. */
  writesNotOk: number;
  readsOk: number;
  readsNotOk: number;
  /** Tries that did not answer 2xx (each retried, or ending its operation). */
  attemptErrors: number;
  /** ok / all operations that started this second (1 when none did). */
  availability: number;
}

export interface FaultVerdict extends NemesisEvent {
  /** From the fault until the last failed try before the next fault (0: clients never saw an error). */
  errorWindowMs: number;
  /** The longest acknowledged write in flight at the fault: fault → its acknowledgement. */
  slowestAckMs: number;
}

export interface CheckResult {
  valid: boolean;
  /** Every reason it is not valid, one line each. */
  problems: string[];
  writes: { attempted: number; acknowledged: number; failed: number; indeterminate: number; indeterminatePresent: number; lost: string[]; duplicates: Array<{ id: string; count: number }>; failedButApplied: string[]; unknownRows: string[] };
  reads: { attempted: number; ok: number; stale: Array<{ writeId: string; start: number }> };
  availability: { overall: number; operations: number; ok: number; perSecond: SecondStats[] };
  realtime: { promise: RealtimePromise; subscribers: SubscriberVerdict[]; gaps: number };
  faults: FaultVerdict[];
}

const isError = (a: Attempt): boolean => typeof a.status !== 'number' || a.status < 200 || a.status >= 300;

export function check(history: History, table: readonly TableRow[], opts: CheckOptions): CheckResult {
  const problems: string[] = [];
  const copies = new Map<string, number>();
  for (const row of table) copies.set(row.writeId, (copies.get(row.writeId) ?? 0) + 1);
  const attempted = new Map(history.writes.map((w) => [w.id, w]));
  const count = (o: Outcome) => history.writes.filter((w) => w.outcome === o);

  const acked = count('ok');
  const lost = acked.filter((w) => !copies.has(w.id)).map((w) => w.id);
  const duplicates = [...copies].filter(([, n]) => n > 1).map(([id, n]) => ({ id, count: n }));
  const failedButApplied = count('fail')
    .filter((w) => copies.has(w.id))
    .map((w) => w.id);
  const unknownRows = [...copies.keys()].filter((id) => !attempted.has(id));
  const indeterminate = count('info');
  if (lost.length) problems.push(`${lost.length} acknowledged write(s) lost: ${sample(lost)}`);
  if (duplicates.length) problems.push(`${duplicates.length} write(s) applied more than once: ${sample(duplicates.map((d) => `${d.id}×${d.count}`))}`);
  if (failedButApplied.length) problems.push(`${failedButApplied.length} refused write(s) applied anyway: ${sample(failedButApplied)}`);
  if (unknownRows.length) problems.push(`${unknownRows.length} row(s) nobody wrote: ${sample(unknownRows)}`);

  const readsOk = history.reads.filter((r) => r.outcome === 'ok');
  const stale = readsOk.filter((r) => r.found === false).map((r) => ({ writeId: r.writeId, start: r.start }));
  if (stale.length) problems.push(`${stale.length} read(s) missed a write acknowledged before they began: ${sample(stale.map((s) => s.writeId))}`);

  const ops = [...history.writes, ...history.reads];
  const okOps = ops.filter((o) => o.outcome === 'ok').length;
  const overall = ops.length === 0 ? 1 : okOps / ops.length;
  if (ops.length === 0) problems.push('no operations were recorded');
  if (overall < opts.minAvailability) problems.push(`availability ${percent(overall)} is below ${percent(opts.minAvailability)}`);

  const subscribers = history.subscribers.map((s): SubscriberVerdict => {
    const got = new Set(s.received.map((d) => d.writeId));
    const rows = new Map<number, number>();
    for (const d of s.received) rows.set(d.seq, (rows.get(d.seq) ?? 0) + 1);
    const repeated = new Set(s.received.filter((d) => rows.get(d.seq)! > 1).map((d) => d.writeId));
    // A session ends when its node is killed, even if the client noticed only later: changes
    // committed after that moment were never the dead node's to deliver.
    const kills = history.nemesis.filter((e) => e.action === 'kill-node' && e.target === s.node).map((e) => e.start);
    const sessions = s.sessions.map((x) => ({ start: x.start, end: Math.min(x.end ?? Infinity, ...kills.filter((k) => k > x.start)) }));
    const grace = opts.deliveryGraceMs ?? 1_000;
    const within = (start: number, end: number) => sessions.some((x) => x.start < start && end + grace < x.end);
    return {
      name: s.name,
      sessions: s.sessions.length,
      received: s.received.length,
      gaps: acked.filter((w) => within(w.start, w.end) && !got.has(w.id)).map((w) => w.id),
      repeats: [...repeated],
      phantoms: [...got].filter((id) => !copies.has(id)),
    };
  });
  for (const s of subscribers) {
    if (s.repeats.length) problems.push(`subscriber ${s.name} received ${s.repeats.length} write(s) twice: ${sample(s.repeats)}`);
    if (s.phantoms.length) problems.push(`subscriber ${s.name} received ${s.phantoms.length} write(s) that are not in the table: ${sample(s.phantoms)}`);
    if (opts.realtime === 'exactly-once' && s.gaps.length) problems.push(`subscriber ${s.name} missed ${s.gaps.length} write(s) committed while it was subscribed: ${sample(s.gaps)}`);
    if (opts.realtime === 'at-most-once' && s.received === 0 && acked.length > 0) problems.push(`subscriber ${s.name} received nothing`);
  }

  for (const fault of history.nemesis) if (fault.error) problems.push(`${fault.action} of ${fault.target} did not heal: ${fault.error}`);

  return {
    valid: problems.length === 0,
    problems,
    writes: { attempted: history.writes.length, acknowledged: acked.length, failed: count('fail').length, indeterminate: indeterminate.length, indeterminatePresent: indeterminate.filter((w) => copies.has(w.id)).length, lost, duplicates, failedButApplied, unknownRows },
    reads: { attempted: history.reads.length, ok: readsOk.length, stale },
    availability: { overall, operations: ops.length, ok: okOps, perSecond: perSecond(history) },
    realtime: { promise: opts.realtime, subscribers, gaps: subscribers.reduce((n, s) => n + s.gaps.length, 0) },
    faults: faults(history),
  };
}

function perSecond(history: History): SecondStats[] {
  const seconds = Math.max(1, Math.ceil(history.durationMs / 1000));
  const stats = Array.from({ length: seconds }, (_, second): SecondStats => ({ second, writesOk: 0, writesNotOk: 0, readsOk: 0, readsNotOk: 0, attemptErrors: 0, availability: 1 }));
  const at = (ms: number): SecondStats => stats[Math.min(seconds - 1, Math.max(0, Math.floor(ms / 1000)))]!;
  for (const w of history.writes) at(w.start)[w.outcome === 'ok' ? 'writesOk' : 'writesNotOk']++;
  for (const r of history.reads) at(r.start)[r.outcome === 'ok' ? 'readsOk' : 'readsNotOk']++;
  for (const op of [...history.writes, ...history.reads]) for (const a of op.attempts) if (isError(a)) at(a.end).attemptErrors++;
  for (const s of stats) {
    const all = s.writesOk + s.writesNotOk + s.readsOk + s.readsNotOk;
    s.availability = all === 0 ? 1 : (s.writesOk + s.readsOk) / all;
  }
  return stats;
}

function faults(history: History): FaultVerdict[] {
  const sorted = [...history.nemesis].sort((a, b) => a.start - b.start);
  const errorEnds = [...history.writes, ...history.reads].flatMap((op) => op.attempts.filter(isError).map((a) => a.end));
  return sorted.map((fault, i) => {
    const until = sorted[i + 1]?.start ?? history.durationMs;
    const lastError = Math.max(fault.start, ...errorEnds.filter((t) => t >= fault.start && t < until));
    const inFlight = history.writes.filter((w) => w.outcome === 'ok' && w.start <= fault.start && w.end >= fault.start);
    return { ...fault, errorWindowMs: lastError - fault.start, slowestAckMs: Math.max(0, ...inFlight.map((w) => w.end - fault.start)) };
  });
}

const sample = (ids: readonly string[]): string => ids.slice(0, 10).join(', ') + (ids.length > 10 ? ` … (${ids.length - 10} more)` : '');
const percent = (x: number): string => `${(x * 100).toFixed(3)}%`;
