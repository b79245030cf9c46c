import type { Clock } from '../runtime/index.js';

export interface IntensityLimit {
  maxRestarts: number;
  periodMs: number;
}

/** OTP's default: more than one restart in five seconds means something is really wrong. */
export const DEFAULT_INTENSITY: IntensityLimit = { maxRestarts: 1, periodMs: 5_000 };

/** Counts restarts in a sliding window; exceeding the limit means: give up and escalate. */
export class RestartIntensity {
  private stamps: number[] = [];

  constructor(
    private readonly limit: IntensityLimit,
    private readonly clock: Clock,
  ) {}

  /** Records a restart; returns false when it exceeds the limit. */
  record(): boolean {
    const now = this.clock.now();
    this.stamps = this.stamps.filter((t) => now - t < this.limit.periodMs);
    this.stamps.push(now);
    return this.stamps.length <= this.limit.maxRestarts;
  }

  get recent(): number {
    return this.stamps.length;
  }
}
