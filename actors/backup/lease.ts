/**
 * Who runs a scheduled backup. Every node computes the same due times from the same cron
 * expression; claiming a due time succeeds on exactly one of them, so the backup runs once
 * per cluster. Embedded, the node is the cluster.
 */
export interface ScheduleLease {
  /** True for the one caller that claims this due time (epoch ms) first. */
  claim(dueAt: number): Promise<boolean>;
  close(): Promise<void>;
}

export class LocalLease implements ScheduleLease {
  private last = -Infinity;

  async claim(dueAt: number): Promise<boolean> {
    if (dueAt <= this.last) return false;
    this.last = dueAt;
    return true;
  }

  async close(): Promise<void> {}
}
