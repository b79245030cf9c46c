/**
 * A singleton lease: every node may try to claim a term (a scheduled run's due time, a
 * leadership epoch); exactly one claim of each term succeeds, and older terms never do.
 * Embedded, the node is the cluster (LocalLease); in a cluster, KvLease decides through
 * a JetStream KV compare-and-set.
 */
export interface Lease {
  /** True for the one caller that claims this term first. */
  claim(term: number): Promise<boolean>;
  close(): Promise<void>;
}

export class LocalLease implements Lease {
  private last = -Infinity;

  async claim(term: number): Promise<boolean> {
    if (term <= this.last) return false;
    this.last = term;
    return true;
  }

  async close(): Promise<void> {}
}
