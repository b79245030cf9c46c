/**
 * Which hubs run MagWS across the cluster. Liveness is the cluster module's (the node's
 * membership), not a heartbeat of our own: a hub is named `<node>.<incarnation>.<random>`
 * after its node's membership incarnation, so when the membership declares that run of a
 * node down (killed, cut off, or left), every hub of it goes, and its presence with it.
 * Hubs are discovered by their messages: one heard for the first time is new, and the
 * others send it their presence state.
 */
import type { MemberChange, MemberView } from '../../cluster/index.js';
import type { ClusterLink, LinkMessage } from './cluster-link.js';

export interface PeerEvents {
  joined(hub: string): void;
  gone(hub: string): void;
}

/** What realtime needs of the cluster module. */
export interface PeerLiveness {
  members(): MemberView[];
  onChange(listener: (change: MemberChange) => void): () => void;
}

/** `<node>.<incarnation>`: the run of a node a hub belongs to. */
const runOf = (hub: string): string => hub.slice(0, hub.lastIndexOf('.'));

export class Peers {
  private readonly seen = new Set<string>();
  /** Runs of nodes the membership declared down: a late message of theirs must not bring a hub back. */
  private readonly downRuns = new Set<string>();
  private off: (() => void) | undefined;

  constructor(
    private readonly link: ClusterLink,
    private readonly cluster: PeerLiveness,
    private readonly events: PeerEvents,
  ) {
    link.on<LinkMessage>('bye', (m) => this.forget(m.n));
  }

  start(): void {
    for (const m of this.cluster.members()) if (m.state === 'down') this.downRuns.add(`${m.node}.${m.incarnation}`);
    this.off = this.cluster.onChange((c) => {
      if (c.to !== 'down') return;
      const run = `${c.node}.${c.incarnation}`;
      this.downRuns.add(run);
      for (const hub of [...this.seen]) if (runOf(hub) === run) this.forget(hub);
    });
  }

  /** A message from a hub proves it exists (and may be the first we hear of it). */
  heard(hub: string): void {
    if (this.seen.has(hub) || this.downRuns.has(runOf(hub))) return;
    this.seen.add(hub);
    this.events.joined(hub);
  }

  /** Other live hubs. */
  live(): string[] {
    return [...this.seen];
  }

  stop(): void {
    this.off?.();
    this.link.send('bye', {});
  }

  private forget(hub: string): void {
    if (this.seen.delete(hub)) this.events.gone(hub);
  }
}
