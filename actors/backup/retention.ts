/** What `prune` removes: never one of the newest `keep`; with `olderThanMs`, only older ones. */
export interface RetentionRule {
  keep?: number;
  olderThanMs?: number;
}

export interface Dated {
  id: string;
  createdAt: string;
}

/**
 * The archives a rule lets go, oldest first. `--keep N` alone: all but the newest N.
 * `--older-than D` alone: all older than D. Both: older than D, yet never one of the newest N.
 */
export function expired<T extends Dated>(archives: readonly T[], rule: RetentionRule, now: number): T[] {
  const newestFirst = [...archives].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id.localeCompare(a.id));
  return newestFirst
    .filter((a, i) => (rule.keep === undefined || i >= rule.keep) && (rule.olderThanMs === undefined || now - Date.parse(a.createdAt) > rule.olderThanMs))
    .reverse();
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `30m`, `12h`, `7d`, `2w` → milliseconds; undefined when malformed. */
export function parseAge(text: string): number | undefined {
  const match = /^(\d+)([mhdw])$/.exec(text.trim());
  return match ? Number(match[1]) * UNITS[match[2]!]! : undefined;
}
