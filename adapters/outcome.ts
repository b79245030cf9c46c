import { isMoboError, MoboError } from '../runtime/index.js';

/**
 * What a write that failed for want of its connection tells the caller, in two codes:
 * - DS_UNAVAILABLE: nothing was applied (the statement never reached the server, or its
 *   transaction had not reached COMMIT when the connection went) — safe to retry as is;
 * - DS_OUTCOME_UNKNOWN: an autocommit statement or a COMMIT went out and no answer came back
 *   — the server may have applied it. Retrying blindly could write twice; a retry with the
 *   same Idempotency-Key (gateway/rest/idempotency.ts) or a read first is the way.
 * A driver raises DS_OUTCOME_UNKNOWN for a statement lost after it was sent; inside a
 * transaction only the COMMIT keeps it (`beforeCommit`), and a read never does (`forRead`).
 */
export function outcomeUnknown(cause: unknown): MoboError {
  return new MoboError('DS_OUTCOME_UNKNOWN', undefined, { cause });
}

/** Lost before COMMIT, a transaction was rolled back by the server: nothing of it was applied. */
export function beforeCommit(err: unknown): unknown {
  return isMoboError(err, 'DS_OUTCOME_UNKNOWN') ? new MoboError('DS_UNAVAILABLE', undefined, { cause: err }) : err;
}

/** A read changes nothing, so a lost one is just unavailable (and safe to retry). */
export const forRead = beforeCommit;

/** Connection failures that a read may ride over by retrying on another connection. */
export function isConnectionLost(err: unknown): boolean {
  return isMoboError(err, 'DS_UNAVAILABLE') || isMoboError(err, 'DS_OUTCOME_UNKNOWN');
}
