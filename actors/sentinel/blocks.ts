import { ipInRanges, isCidr, normalizeIp } from '../auth/cidr.js';
import { type Clock, MoboError } from '../../runtime/index.js';

/** What can be blocked: a client address, an API key (by id), a user (`project/subject`), a login email (hashed), an MQTT client id. */
export type TargetKind = 'ip' | 'key' | 'user' | 'email' | 'mqtt';
export const TARGET_KINDS: readonly TargetKind[] = ['ip', 'key', 'user', 'email', 'mqtt'];

export type BlockSource = 'operator' | 'sqlguard' | 'brute-force' | 'anomaly';

export interface Block {
  kind: TargetKind;
  value: string;
  reason: string;
  source: BlockSource;
  createdAt: number;
  /** When it lapses (ms since epoch); null: until unblocked. */
  until: number | null;
  /** Blocks of this target so far; the next automatic one lasts longer. */
  strikes: number;
  node: string;
}

export interface Allow {
  kind: TargetKind;
  /** An exact value, or for `ip` a CIDR range. */
  value: string;
  createdAt: number;
  note: string;
}

export const targetId = (kind: TargetKind, value: string): string => `${kind}:${value}`;

/** Checks a target as an operator typed it: a known kind and a value it can hold. */
export function checkTarget(kind: string, value: string, allowRange = false): { kind: TargetKind; value: string } {
  if (!(TARGET_KINDS as readonly string[]).includes(kind)) {
    throw new MoboError('SENTINEL_TARGET_INVALID', `Unknown target kind "${kind}"`, { details: { field: 'kind', allowed: TARGET_KINDS } });
  }
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > 512) throw new MoboError('SENTINEL_TARGET_INVALID', 'The target value must be 1 to 512 characters', { details: { field: 'value' } });
  if (kind === 'ip') {
    if (allowRange && trimmed.includes('/') && isCidr(trimmed)) return { kind, value: trimmed };
    if (trimmed.includes('/') || !isCidr(trimmed)) {
      throw new MoboError('SENTINEL_TARGET_INVALID', `"${trimmed}" is not an IP address${allowRange ? ' or CIDR range' : ''}`, { details: { field: 'value' } });
    }
    return { kind, value: normalizeIp(trimmed) };
  }
  return { kind: kind as TargetKind, value: trimmed };
}

/**
 * The node's blocks and allow entries, in memory: looked up on every request, so a check
 * is one Map lookup per target kind. Expired blocks drop out when next looked at (and on
 * `sweep`). Persistence and the other nodes are the owner's business (sentinel.ts).
 */
export class BlockList {
  private readonly blocks = new Map<string, Block>();
  private readonly allows = new Map<string, Allow>();
  private allowedRanges: string[] = [];
  /** Configured and added ranges as one array, rebuilt when either changes (ipInRanges compiles per array). */
  private ranges: { from: readonly string[]; added: string[]; all: readonly string[] } | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly configuredAllow: () => readonly string[],
  ) {}

  /** The live block on this target, if any. */
  blockOf(kind: TargetKind, value: string): Block | undefined {
    if (this.blocks.size === 0) return undefined;
    const id = targetId(kind, kind === 'ip' ? normalizeIp(value) : value);
    const block = this.blocks.get(id);
    if (!block) return undefined;
    if (block.until !== null && block.until <= this.clock.now()) {
      this.blocks.delete(id);
      return undefined;
    }
    return block;
  }

  isAllowed(kind: TargetKind, value: string): boolean {
    if (kind === 'ip') {
      const configured = this.configuredAllow();
      if (this.ranges?.from !== configured || this.ranges.added !== this.allowedRanges) {
        this.ranges = { from: configured, added: this.allowedRanges, all: [...configured, ...this.allowedRanges] };
      }
      if (this.ranges.all.length > 0 && ipInRanges(value, this.ranges.all)) return true;
    }
    if (this.allows.size === 0) return false;
    return this.allows.has(targetId(kind, kind === 'ip' ? normalizeIp(value) : value));
  }

  put(block: Block): void {
    this.blocks.set(targetId(block.kind, block.value), block);
  }

  remove(kind: TargetKind, value: string): Block | undefined {
    const id = targetId(kind, value);
    const block = this.blocks.get(id);
    this.blocks.delete(id);
    return block;
  }

  putAllow(allow: Allow): void {
    this.allows.set(targetId(allow.kind, allow.value), allow);
    this.refreshRanges();
  }

  removeAllow(kind: TargetKind, value: string): Allow | undefined {
    const id = targetId(kind, value);
    const allow = this.allows.get(id);
    this.allows.delete(id);
    this.refreshRanges();
    return allow;
  }

  /** Live blocks, soonest to lapse first (permanent ones last). */
  list(): Block[] {
    this.sweep();
    return [...this.blocks.values()].sort((a, b) => (a.until ?? Infinity) - (b.until ?? Infinity));
  }

  allowList(): Allow[] {
    return [...this.allows.values()];
  }

  sweep(): Block[] {
    const now = this.clock.now();
    const lapsed: Block[] = [];
    for (const [id, b] of this.blocks) {
      if (b.until !== null && b.until <= now) {
        this.blocks.delete(id);
        lapsed.push(b);
      }
    }
    return lapsed;
  }

  private refreshRanges(): void {
    this.allowedRanges = [...this.allows.values()].filter((a) => a.kind === 'ip' && a.value.includes('/')).map((a) => a.value);
  }
}
