/** A security event as the audit log keeps it: its topic (`security.threat` …), when, where, and what. */
export interface AuditEvent {
  seq: number;
  at: number;
  topic: string;
  payload: Record<string, unknown>;
}

export interface AuditQuery {
  /** `threat`, `blocked`, `alert`, `unblocked` … or a full topic. */
  type?: string | undefined;
  /** Only events at or after this time (ms since epoch). */
  since?: number | undefined;
  /** Newest first, at most this many (default 100). */
  limit?: number | undefined;
}

/**
 * The security audit log of this node: every `security.*` event it hears (its own and,
 * over NATS, every other node's), the newest `max` kept, queryable newest first.
 */
export class AuditLog {
  private readonly events: AuditEvent[] = [];
  private seq = 0;

  constructor(private readonly max: () => number) {}

  record(topic: string, payload: Record<string, unknown>, at: number): void {
    this.events.push({ seq: ++this.seq, at, topic, payload });
    const over = this.events.length - this.max();
    if (over > 0) this.events.splice(0, over);
  }

  query(q: AuditQuery = {}): AuditEvent[] {
    const topic = q.type === undefined ? undefined : q.type.startsWith('security.') ? q.type : `security.${q.type}`;
    const out: AuditEvent[] = [];
    const limit = q.limit ?? 100;
    for (let i = this.events.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.events[i]!;
      if (q.since !== undefined && e.at < q.since) break;
      if (topic === undefined || e.topic === topic) out.push(e);
    }
    return out;
  }

  get size(): number {
    return this.events.length;
  }
}
