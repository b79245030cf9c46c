import type { MoboConfig } from './schema.js';
import { flatKeys, getPath } from './load.js';
import { RELOADABLE_SECTIONS, isReloadable } from './schema.js';
import { reloadableSections } from './section.js';

export interface ConfigDiff {
  /** Changed keys that took effect now. */
  applied: string[];
  /** Changed keys that need a restart; the running node keeps the old value. */
  needsRestart: string[];
}

export function diffConfig(before: MoboConfig, after: MoboConfig): ConfigDiff {
  const keys = new Set([...flatKeys(before), ...flatKeys(after)]);
  const changed = [...keys].filter((k) => JSON.stringify(getPath(before, k)) !== JSON.stringify(getPath(after, k)));
  return { applied: changed.filter(isReloadable), needsRestart: changed.filter((k) => !isReloadable(k)) };
}

/** The config a running node moves to: reloadable keys from `after`, everything else kept from `before`. */
export function applyReloadable(before: MoboConfig, after: MoboConfig): MoboConfig {
  const next: MoboConfig = { ...before };
  for (const section of [...RELOADABLE_SECTIONS, ...reloadableSections]) Object.assign(next, { [section]: (after as Record<string, unknown>)[section] });
  return next;
}
