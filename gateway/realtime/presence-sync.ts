/**
 * Presence kept consistent across nodes. A node announces a member when its first
 * connection of that member joins a channel (`p.join`) and when its last leaves
 * (`p.leave`); a node new to the cluster gets everyone's snapshot (`p.snap`, which
 * replaces what that node was believed to hold); a node that says goodbye or that the
 * cluster's membership declares down has its members removed. Every node then tells its own clients.
 */
import type { ClusterLink, LinkMessage } from './cluster-link.js';
import { Peers, type PeerLiveness } from './peers.js';
import { PresenceMembers, type MemberChange, type MemberEntry } from './presence.js';

interface Join extends LinkMessage {
  k: string;
  u: string;
  i: unknown;
}
interface Leave extends LinkMessage {
  k: string;
  u: string;
}
interface Snap extends LinkMessage {
  e: MemberEntry[];
}

export class PresenceSync {
  readonly members = new PresenceMembers();
  readonly peers: Peers;

  constructor(
    private readonly link: ClusterLink,
    cluster: PeerLiveness,
    private readonly announce: (changes: MemberChange[]) => void,
  ) {
    this.peers = new Peers(link, cluster, {
      joined: () => this.sendSnapshot(),
      gone: (node) => this.announce(this.members.dropNode(node)),
    });
    link.on<Join>('p.join', (m) => this.remote(m.n, () => this.members.add(m.n, m.k, m.u, m.i)));
    link.on<Leave>('p.leave', (m) => this.remote(m.n, () => this.members.remove(m.n, m.k, m.u)));
    link.on<Snap>('p.snap', (m) => {
      this.peers.heard(m.n);
      this.announce(this.members.replaceNode(m.n, m.e));
    });
  }

  start(): void {
    // Announces this hub: every peer answers with its snapshot.
    this.sendSnapshot();
    this.peers.start();
  }

  /** A local connection joined: the change to announce here, if the member is new cluster-wide. */
  join(key: string, userId: string, info: unknown): MemberChange | undefined {
    const first = this.members.held(this.link.nodeId, key, userId) === 0;
    const change = this.members.add(this.link.nodeId, key, userId, info);
    if (first) this.link.send('p.join', { k: key, u: userId, i: info });
    return change;
  }

  /** A local connection left: the change to announce here, if the member is gone cluster-wide. */
  leave(key: string, userId: string): MemberChange | undefined {
    const change = this.members.remove(this.link.nodeId, key, userId, 1);
    if (this.members.held(this.link.nodeId, key, userId) === 0) this.link.send('p.leave', { k: key, u: userId });
    return change;
  }

  stop(): void {
    this.link.send('p.snap', { e: [] });
    this.peers.stop();
  }

  private remote(node: string, apply: () => MemberChange | undefined): void {
    this.peers.heard(node);
    const change = apply();
    if (change) this.announce([change]);
  }

  private sendSnapshot(): void {
    this.link.send('p.snap', { e: this.members.entriesOf(this.link.nodeId) });
  }
}
