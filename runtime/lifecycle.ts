/** The states an actor or supervisor moves through, as an explicit union. */
export type LifecycleState = 'idle' | 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'crashed';

/** Why an actor stopped. `normal` and `shutdown` are clean; the rest are abnormal. */
export type ExitKind = 'normal' | 'shutdown' | 'crash' | 'killed' | 'unhealthy' | 'escalated';

export interface ExitReason {
  kind: ExitKind;
  error?: unknown;
}

export function isAbnormal(reason: ExitReason): boolean {
  return reason.kind !== 'normal' && reason.kind !== 'shutdown';
}

/** What an actor says of itself when asked. */
export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  details?: Record<string, unknown>;
}
