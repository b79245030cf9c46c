/**
 * Presence membership of every presence channel, cluster-wide: for each member, which
 * nodes hold it and with how many connections. A member is present while any node holds
 * it. Every change returns what clients must be told (member_added / member_removed).
 */
export interface MemberEntry {
  /** `appId:channel` */
  key: string;
  userId: string;
  info: unknown;
  /** Connections of this member on the node. */
  count: number;
}

export interface MemberChange {
  key: string;
  userId: string;
  info: unknown;
  change: 'added' | 'removed';
}

interface Member {
  info: unknown;
  nodes: Map<string, number>;
}

export class PresenceMembers {
  private readonly channels = new Map<string, Map<string, Member>>();

  /** Adds `count` connections of a member on a node; `added` when the member was absent before. */
  add(node: string, key: string, userId: string, info: unknown, count = 1): MemberChange | undefined {
    let members = this.channels.get(key);
    if (!members) this.channels.set(key, (members = new Map()));
    let member = members.get(userId);
    const isNew = member === undefined;
    if (!member) members.set(userId, (member = { info, nodes: new Map() }));
    member.nodes.set(node, (member.nodes.get(node) ?? 0) + count);
    return isNew ? { key, userId, info, change: 'added' } : undefined;
  }

  /** Removes connections of a member on a node (all of them when `count` is omitted). */
  remove(node: string, key: string, userId: string, count = Infinity): MemberChange | undefined {
    const members = this.channels.get(key);
    const member = members?.get(userId);
    if (!members || !member) return undefined;
    const left = (member.nodes.get(node) ?? 0) - count;
    if (left > 0) member.nodes.set(node, left);
    else member.nodes.delete(node);
    if (member.nodes.size > 0) return undefined;
    members.delete(userId);
    if (members.size === 0) this.channels.delete(key);
    return { key, userId, info: member.info, change: 'removed' };
  }

  /** How many connections of this member the node holds on the channel. */
  held(node: string, key: string, userId: string): number {
    return this.channels.get(key)?.get(userId)?.nodes.get(node) ?? 0;
  }

  /** Replaces everything a node holds with `entries` (a snapshot from that node). */
  replaceNode(node: string, entries: readonly MemberEntry[]): MemberChange[] {
    const changes: MemberChange[] = [];
    const keep = new Set(entries.map((e) => `${e.key}\n${e.userId}`));
    for (const e of this.entriesOf(node)) if (!keep.has(`${e.key}\n${e.userId}`)) push(changes, this.remove(node, e.key, e.userId));
    for (const e of entries) {
      const held = this.held(node, e.key, e.userId);
      if (held !== e.count) push(changes, held === 0 ? this.add(node, e.key, e.userId, e.info, e.count) : this.setCount(node, e, held));
    }
    return changes;
  }

  /** Forgets a node (it left or stopped answering). */
  dropNode(node: string): MemberChange[] {
    return this.replaceNode(node, []);
  }

  /** What a node holds, as a snapshot to send. */
  entriesOf(node: string): MemberEntry[] {
    const out: MemberEntry[] = [];
    for (const [key, members] of this.channels) {
      for (const [userId, m] of members) {
        const count = m.nodes.get(node);
        if (count) out.push({ key, userId, info: m.info, count });
      }
    }
    return out;
  }

  /** The `presence` object of pusher_internal:subscription_succeeded. */
  snapshot(key: string): { ids: string[]; hash: Record<string, unknown>; count: number } {
    const members = this.channels.get(key);
    const hash: Record<string, unknown> = {};
    for (const [id, m] of members ?? []) hash[id] = m.info ?? null;
    return { ids: Object.keys(hash), hash, count: members?.size ?? 0 };
  }

  has(key: string, userId: string): boolean {
    return this.channels.get(key)?.has(userId) ?? false;
  }

  count(key: string): number {
    return this.channels.get(key)?.size ?? 0;
  }

  private setCount(node: string, e: MemberEntry, held: number): undefined {
    if (e.count > held) this.add(node, e.key, e.userId, e.info, e.count - held);
    else this.remove(node, e.key, e.userId, held - e.count);
    return undefined;
  }
}

function push(changes: MemberChange[], change: MemberChange | undefined): void {
  if (change) changes.push(change);
}
