export interface BackoffPolicy {
  /** Delay before the second restart in a row; doubles each time after. */
  initialMs: number;
  maxMs: number;
  /** A child that ran this long since its last restart starts again from no delay. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 10, maxMs: 5_000, resetAfterMs: 10_000 };

/**
 * The first restart is immediate (a kill should cost milliseconds); each restart that
 * follows soon after the last waits twice as long, up to the cap.
 */
export function backoffDelay(policy: BackoffPolicy, consecutive: number): number {
  if (consecutive <= 0 || policy.initialMs <= 0) return 0;
  return Math.min(policy.maxMs, policy.initialMs * 2 ** (consecutive - 1));
}
