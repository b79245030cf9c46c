/**
 * Where a supervised child runs in a cluster (its spec's `placement`): `node` runs it on
 * every node as before; `singleton` runs it on the one node holding its lease, and stops
 * it there before anyone else can hold it; `sharded` runs it on the live node rendezvous
 * hashing picks for its name, moving it when members come and go. To the supervisor a
 * placed child is one child that is always running (active or standing by); only the
 * inner child starts and stops as the cluster decides.
 */
import type { ExitReason, HealthReport, LifecycleState } from '../runtime/index.js';
import type { Membership } from './membership.js';
import { placeKey } from './placement.js';

/**
 * A supervised child as the supervisor sees it (supervisors' `Child`, matched by shape:
 * cluster/ sits beside runtime/, below supervisors/, and may not import them).
 */
export interface Child {
  readonly state: LifecycleState;
  start(): Promise<void>;
  stop(timeoutMs: number): Promise<void>;
  kill(reason?: string): void;
  health(timeoutMs: number): Promise<HealthReport>;
  onExit(listener: (reason: ExitReason) => void): () => void;
}

export interface LeaseHandlers {
  onAcquired(term: number): void | Promise<void>;
  onLost(term: number, why: 'expired' | 'taken' | 'released'): void | Promise<void>;
}

export interface HeldLease {
  readonly currentTerm: number;
  /** Who holds it, as last seen here. */
  holder(): string | undefined;
  valid(): boolean;
  close(): Promise<void>;
}

/** The supervisor's hook: wraps a child whose placement is not `node`. */
export interface Placer {
  place(name: string, placement: 'singleton' | 'sharded', inner: Child): Child;
}

abstract class PlacedChild implements Child {
  protected status: LifecycleState = 'idle';
  protected active = false;
  private readonly listeners = new Set<(reason: ExitReason) => void>();
  private unlink: (() => void) | undefined;
  /** Set while we stop the inner child ourselves, so its exit is not a failure. */
  private moving = false;

  constructor(protected readonly inner: Child, protected readonly stopMs: number) {}

  get state(): LifecycleState {
    return this.status;
  }

  abstract start(): Promise<void>;
  abstract stop(timeoutMs: number): Promise<void>;

  kill(reason?: string): void {
    this.inner.kill(reason);
  }

  async health(timeoutMs: number): Promise<HealthReport> {
    if (this.active) return this.inner.health(timeoutMs);
    return { status: 'ok', details: { standby: true } };
  }

  onExit(listener: (reason: ExitReason) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected async activate(): Promise<void> {
    if (this.active || this.status !== 'running') return;
    this.active = true;
    this.unlink ??= this.inner.onExit((reason) => {
      if (this.moving) return;
      this.active = false;
      this.exit(reason);
    });
    await this.inner.start();
  }

  /** Stops the inner child here (it moves, or the lease is gone): not a failure. */
  protected async deactivate(timeoutMs: number): Promise<void> {
    if (!this.active) return;
    this.active = false;
    this.moving = true;
    try {
      await this.inner.stop(timeoutMs);
    } finally {
      this.moving = false;
    }
  }

  protected exit(reason: ExitReason): void {
    this.status = reason.kind === 'normal' || reason.kind === 'shutdown' ? 'stopped' : 'crashed';
    for (const l of this.listeners) l(reason);
  }
}

/** One copy in the cluster, under a lease with a fencing term (`currentTerm`). */
export class SingletonChild extends PlacedChild {
  private lease: HeldLease | undefined;
  /** Handed over (the node drains): it stands by and no longer contends. */
  private handedOver = false;

  constructor(inner: Child, private readonly openLease: (handlers: LeaseHandlers) => Promise<HeldLease>, stopMs = 1_000) {
    super(inner, stopMs);
  }

  get term(): number | undefined {
    return this.lease?.valid() ? this.lease.currentTerm : undefined;
  }

  /** The node running the copy, as this node last saw the lease (undefined while it moves). */
  holder(): string | undefined {
    return this.lease?.holder();
  }

  /** Stops our copy if we hold it, gives the lease up so another node takes it at once, and stops contending. */
  async handOver(): Promise<void> {
    this.handedOver = true;
    const lease = this.lease;
    this.lease = undefined;
    await lease?.close();
  }

  async start(): Promise<void> {
    this.status = 'running';
    if (this.handedOver) return;
    this.lease = await this.openLease({
      onAcquired: () => this.activate(),
      // Lost: stop at once (someone may hold it soon); released by us: stop gracefully.
      onLost: async (_term, why) => {
        if (why === 'released') return this.deactivate(this.stopMs);
        this.inner.kill('singleton lease lost');
        await this.deactivate(this.stopMs);
      },
    });
  }

  async stop(): Promise<void> {
    this.status = 'stopping';
    await this.lease?.close();
    this.lease = undefined;
    this.status = 'stopped';
  }

  protected override exit(reason: ExitReason): void {
    // The copy died on its own: give the lease up so another node (or our restart) takes it.
    void this.lease?.close();
    this.lease = undefined;
    super.exit(reason);
  }
}

/** On the live node that rendezvous hashing picks for the child's name. */
export class ShardedChild extends PlacedChild {
  private off: (() => void) | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly name: string, inner: Child, private readonly membership: Membership, stopMs = 1_000) {
    super(inner, stopMs);
  }

  /** The node this child belongs on now. */
  owner(): string | undefined {
    return placeKey(this.name, this.membership.live());
  }

  async start(): Promise<void> {
    this.status = 'running';
    this.off = this.membership.onChange(() => void this.rebalance());
    await this.rebalance();
  }

  async stop(timeoutMs: number): Promise<void> {
    this.status = 'stopping';
    this.off?.();
    await this.queue;
    await this.deactivate(timeoutMs);
    this.status = 'stopped';
  }

  private rebalance(): Promise<void> {
    this.queue = this.queue
      .then(async () => {
        if (this.status !== 'running') return;
        if (this.owner() === this.membership.nodeId) await this.activate();
        else await this.deactivate(this.stopMs);
      })
      .catch(() => undefined);
    return this.queue;
  }
}
