/**
 * The failure detector: from the heartbeats a node hears (each says what its sender
 * announces: joining, up or leaving) and the silence between them, the state of every
 * member. Pure and clock-driven (the caller passes `now`), so timeouts are tested
 * without sleeping; Membership feeds it from NATS.
 *
 *   joining ──beat "up"──▶ up ──silent suspectMs──▶ suspect ──silent downMs──▶ down
 *      ▲                    ▲◀──────── beat ───────────┘                        │
 *      └──────────── a new incarnation (the process restarted) ◀────────────────┘
 *   any ──beat "leaving"──▶ leaving ──key deleted / silent downMs──▶ down
 */
export type NodeState = 'joining' | 'up' | 'suspect' | 'down' | 'leaving';

/** What a node says about itself in its heartbeat. */
export type Announced = 'joining' | 'up' | 'leaving';

export interface DetectorTimeouts {
  /** How often each node beats. */
  heartbeatMs: number;
  /** Silence after which a member is suspect (still placed on, not yet replaced). */
  suspectMs: number;
  /** Silence after which a member is down (its work moves elsewhere). */
  downMs: number;
}

export const DEFAULT_TIMEOUTS: DetectorTimeouts = { heartbeatMs: 500, suspectMs: 1_500, downMs: 3_000 };

export interface Transition {
  node: string;
  /** Which run of the node (a restarted node is a new incarnation: its old one goes down). */
  incarnation: string;
  from: NodeState | undefined;
  to: NodeState;
}

export interface MemberView {
  node: string;
  state: NodeState;
  incarnation: string;
  /** ms since this node last heard it. */
  silentMs: number;
  meta: Record<string, string>;
}

interface Member {
  state: NodeState;
  incarnation: string;
  heardAt: number;
  meta: Record<string, string>;
}

export function checkTimeouts(t: DetectorTimeouts): DetectorTimeouts {
  if (!(t.heartbeatMs > 0 && t.suspectMs > t.heartbeatMs && t.downMs > t.suspectMs)) {
    throw new RangeError(`cluster timeouts must satisfy 0 < heartbeatMs < suspectMs < downMs (got ${t.heartbeatMs}, ${t.suspectMs}, ${t.downMs})`);
  }
  return t;
}

export class FailureDetector {
  private readonly members = new Map<string, Member>();

  constructor(private readonly timeouts: DetectorTimeouts) {
    checkTimeouts(timeouts);
  }

  /** A heartbeat arrived. A different incarnation is a new member: the old one goes down first. */
  heard(node: string, announced: Announced, incarnation: string, now: number, meta: Record<string, string> = {}): Transition[] {
    const out: Transition[] = [];
    let member = this.members.get(node);
    if (member && member.incarnation !== incarnation) {
      if (member.state !== 'down') out.push(this.set(node, member, 'down'));
      member = undefined;
    }
    const from = member?.state;
    member ??= { state: 'down', incarnation, heardAt: now, meta };
    this.members.set(node, member);
    member.heardAt = now;
    member.meta = meta;
    const next: NodeState = announced === 'joining' && (from === 'up' || from === 'suspect') ? 'up' : announced;
    if (next !== from) out.push(this.set(node, member, next, from ?? null));
    return out;
  }

  /** The node said goodbye (its key was deleted). */
  left(node: string): Transition[] {
    const member = this.members.get(node);
    if (!member || member.state === 'down') return [];
    return [this.set(node, member, 'down')];
  }

  /** Applies silence: up → suspect → down. Call every heartbeat or so. */
  tick(now: number): Transition[] {
    const out: Transition[] = [];
    for (const [node, m] of this.members) {
      if (m.state === 'down') continue;
      const silent = now - m.heardAt;
      if (silent >= this.timeouts.downMs) out.push(this.set(node, m, 'down'));
      else if (silent >= this.timeouts.suspectMs && m.state === 'up') out.push(this.set(node, m, 'suspect'));
    }
    return out;
  }

  state(node: string): NodeState | undefined {
    return this.members.get(node)?.state;
  }

  view(now: number): MemberView[] {
    return [...this.members]
      .map(([node, m]) => ({ node, state: m.state, incarnation: m.incarnation, silentMs: Math.max(0, now - m.heardAt), meta: m.meta }))
      .sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  }

  /** Nodes work may be placed on: up, or suspect (not yet declared down, so not yet replaced). */
  live(): string[] {
    return [...this.members].filter(([, m]) => m.state === 'up' || m.state === 'suspect').map(([n]) => n).sort();
  }

  private set(node: string, m: Member, to: NodeState, from: NodeState | null = m.state): Transition {
    m.state = to;
    return { node, incarnation: m.incarnation, from: from ?? undefined, to };
  }
}
