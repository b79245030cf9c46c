/**
 * Which hubs run MagWS: each beats every `heartbeatMs`; one not heard for three beats is
 * gone. One heard for the first time is new, and the others send it their presence state.
 */
import type { ClusterLink, LinkMessage } from './cluster-link.js';

export interface PeerEvents {
  joined(node: string): void;
  gone(node: string): void;
}

export class Peers {
  private readonly seen = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly link: ClusterLink,
    private readonly heartbeatMs: number,
    private readonly events: PeerEvents,
    private readonly now: () => number = Date.now,
  ) {
    link.on<LinkMessage>('hb', (m) => this.heard(m.n));
    link.on<LinkMessage>('bye', (m) => this.forget(m.n));
  }

  start(): void {
    this.beat();
    this.timer = setInterval(() => this.beat(), this.heartbeatMs);
    this.timer.unref();
  }

  /** A message from a node proves it alive (and may be the first we hear of it). */
  heard(node: string): void {
    const isNew = !this.seen.has(node);
    this.seen.set(node, this.now());
    if (isNew) this.events.joined(node);
  }

  /** Other live nodes. */
  live(): string[] {
    return [...this.seen.keys()];
  }

  stop(): void {
    clearInterval(this.timer);
    this.link.send('bye', {});
  }

  private forget(node: string): void {
    if (this.seen.delete(node)) this.events.gone(node);
  }

  private beat(): void {
    this.link.send('hb', {});
    const deadline = this.now() - 3 * this.heartbeatMs;
    for (const [node, at] of this.seen) if (at < deadline) this.forget(node);
  }
}
