import type { RestartType } from './child.js';
import { type ExitReason, isAbnormal } from '../runtime/index.js';

/**
 * one_for_one: only the failed child restarts. one_for_all: every child restarts.
 * rest_for_one: the failed child and every child started after it restart.
 */
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';

/** The children (by position in start order) to restart when the child at `failed` exits. */
export function restartSet(strategy: Strategy, failed: number, count: number): number[] {
  switch (strategy) {
    case 'one_for_one':
      return [failed];
    case 'one_for_all':
      return Array.from({ length: count }, (_, i) => i);
    case 'rest_for_one':
      return Array.from({ length: count - failed }, (_, i) => failed + i);
  }
}

export function shouldRestart(type: RestartType, reason: ExitReason): boolean {
  if (type === 'permanent') return true;
  if (type === 'transient') return isAbnormal(reason);
  return false;
}
