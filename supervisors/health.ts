import type { HealthReport } from '../runtime/index.js';

/** The supervisor's view of a child's health, driven by consecutive check results. */
export type HealthState = 'healthy' | 'degraded' | 'critical' | 'failed';

/** Consecutive failed checks at which a child becomes degraded, critical, failed. */
export interface HealthThresholds {
  degraded: number;
  critical: number;
  failed: number;
}

export const DEFAULT_THRESHOLDS: HealthThresholds = { degraded: 1, critical: 2, failed: 3 };

export interface HealthTrack {
  state: HealthState;
  failures: number;
}

export const HEALTHY: HealthTrack = { state: 'healthy', failures: 0 };

/**
 * One step of the state machine. A check that answers `ok` heals at once; one that
 * answers `degraded` holds the child at degraded; a failed check (`down`, an error, or
 * no answer in time) moves it along healthy → degraded → critical → failed.
 */
export function nextHealth(track: HealthTrack, observed: HealthReport['status'] | 'no-answer', t: HealthThresholds): HealthTrack {
  if (observed === 'ok') return HEALTHY;
  if (observed === 'degraded') return { state: 'degraded', failures: 0 };
  const failures = track.failures + 1;
  const state: HealthState =
    failures >= t.failed ? 'failed' : failures >= t.critical ? 'critical' : failures >= t.degraded ? 'degraded' : 'healthy';
  return { state, failures };
}

/** The worst of several states, for a supervisor or the whole node. */
export function worstHealth(states: Iterable<HealthState>): HealthState {
  const rank: HealthState[] = ['healthy', 'degraded', 'critical', 'failed'];
  let worst = 0;
  for (const s of states) worst = Math.max(worst, rank.indexOf(s));
  return rank[worst]!;
}
