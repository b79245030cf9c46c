/**
 * The one cluster module a node's features use: who the members are and in which state
 * (realtime presence, `mobo cluster:nodes`, MagUI), where placed children run (the
 * supervisor's placer), and the node's own way out (drain, leave). Embedded, the node is
 * the cluster (`SoloCluster`: one member, every placement runs here); on NATS it is
 * `NatsCluster` (cluster/nats-cluster.ts, loaded only in cluster mode).
 */
import type { DetectorTimeouts, MemberView, NodeState } from './detector.js';
import type { Placer } from './placed-child.js';

export type ClusterMode = 'embedded' | 'cluster';

/** A member's change of state, as every node's detector sees it (also on the bus as `system.node.<state>`). */
export interface MemberChange {
  node: string;
  incarnation: string;
  from: NodeState | undefined;
  to: NodeState;
}

export interface NodeCluster {
  readonly mode: ClusterMode;
  readonly clusterId: string;
  readonly nodeId: string;
  /** This run of the node: a restarted node is a new incarnation. */
  readonly incarnation: string;
  /** Every member known here, this node included, sorted by id. */
  members(): MemberView[];
  /** Where placed children go (absent embedded: every placement runs here). */
  readonly placer: (Placer & { held(): Array<{ name: string; term: number | undefined }>; handOver(): Promise<void> }) | undefined;
  /** The node a singleton runs on now (embedded: this one), or undefined while it moves. */
  locate(name: string): string | undefined;
  onChange(listener: (change: MemberChange) => void): () => void;
  /** Adds to what the node says about itself (its HTTP address once it listens). */
  describe(meta: Record<string, string>): void;
  /** Announces `leaving`: the others stop placing work here. */
  leaving(): Promise<void>;
  /** Leaves the membership (the others see `down` at once). */
  leave(): Promise<void>;
}

/** What `GET /v1/admin/cluster` (and `mobo cluster:status`) answers. */
export interface ClusterStatus {
  mode: ClusterMode;
  cluster: string;
  node: string;
  incarnation: string;
  state: NodeState;
  traffic: { state: 'serving' | 'draining' | 'refusing' | 'drained'; inFlight: number };
  members: Partial<Record<NodeState, number>>;
  singletons: Array<{ name: string; runsHere: boolean; term: number | null }>;
}

/** What a drain or a leave answers. */
export interface DrainReport {
  node: string;
  /** Singletons that ran here and were handed over. */
  handedOver: string[];
  /** Requests still running when the wait timed out (0: all finished). */
  inFlightLeft: number;
  waitedMs: number;
  shutdown: boolean;
}

/** Cluster timings (config `cluster`): the failure detector's and the singleton lease's. */
export interface ClusterTimings extends DetectorTimeouts {
  leaseMs: number;
}

/** The embedded node: a cluster of one, always up (until it leaves). */
export class SoloCluster implements NodeCluster {
  readonly mode = 'embedded' as const;
  readonly placer = undefined;
  readonly incarnation = 'solo';
  private state: NodeState = 'up';
  private meta: Record<string, string> = {};
  private readonly listeners = new Set<(change: MemberChange) => void>();

  constructor(readonly nodeId: string, readonly clusterId = 'embedded') {}

  locate(): string | undefined {
    return this.state === 'down' ? undefined : this.nodeId;
  }

  members(): MemberView[] {
    return [{ node: this.nodeId, state: this.state, incarnation: this.incarnation, silentMs: 0, meta: this.meta }];
  }

  onChange(listener: (change: MemberChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  describe(meta: Record<string, string>): void {
    this.meta = { ...this.meta, ...meta };
  }

  async leaving(): Promise<void> {
    this.set('leaving');
  }

  async leave(): Promise<void> {
    this.set('down');
  }

  private set(to: NodeState): void {
    if (this.state === to) return;
    const change: MemberChange = { node: this.nodeId, incarnation: this.incarnation, from: this.state, to };
    this.state = to;
    for (const l of this.listeners) l(change);
  }
}
