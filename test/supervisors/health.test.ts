import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, HEALTHY, nextHealth, worstHealth, type HealthTrack } from '../../supervisors/health.js';

describe('health state machine', () => {
  it('walks healthy → degraded → critical → failed on consecutive failures', () => {
    let track: HealthTrack = HEALTHY;
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      track = nextHealth(track, 'no-answer', DEFAULT_THRESHOLDS);
      seen.push(track.state);
    }
    expect(seen).toEqual(['degraded', 'critical', 'failed']);
  });

  it('heals at once on an ok answer', () => {
    const critical = { state: 'critical' as const, failures: 2 };
    expect(nextHealth(critical, 'ok', DEFAULT_THRESHOLDS)).toEqual(HEALTHY);
  });

  it('holds at degraded when the actor says it is degraded, without counting a failure', () => {
    expect(nextHealth(HEALTHY, 'degraded', DEFAULT_THRESHOLDS)).toEqual({ state: 'degraded', failures: 0 });
  });

  it('follows configured thresholds', () => {
    const t = { degraded: 2, critical: 4, failed: 5 };
    let track: HealthTrack = HEALTHY;
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) seen.push((track = nextHealth(track, 'down', t)).state);
    expect(seen).toEqual(['healthy', 'degraded', 'degraded', 'critical', 'failed']);
  });

  it('reports the worst state', () => {
    expect(worstHealth(['healthy', 'critical', 'degraded'])).toBe('critical');
    expect(worstHealth([])).toBe('healthy');
  });
});
