import { DEFAULT_BACKOFF, backoffDelay, type BackoffPolicy } from './backoff.js';
import { bootOrder } from './boot-order.js';
import { childSpecSchema, type Child, type ChildSpec, type ResolvedChildSpec } from './child.js';
import { DEFAULT_THRESHOLDS, HEALTHY, nextHealth, worstHealth, type HealthState, type HealthThresholds, type HealthTrack } from './health.js';
import { DEFAULT_INTENSITY, RestartIntensity, type IntensityLimit } from './intensity.js';
import { restartSet, shouldRestart, type Strategy } from './strategy.js';
import { type Clock, describeError, type EventBus, type ExitReason, type HealthReport, type LifecycleState, type Logger, MoboError, type TimerHandle } from '../runtime/index.js';

export interface HealthCheckOptions {
  /** 0 turns periodic checks off. */
  intervalMs: number;
  timeoutMs: number;
  thresholds: HealthThresholds;
}

export interface SupervisorOptions {
  name: string;
  strategy: Strategy;
  children: ChildSpec[];
  intensity?: IntensityLimit;
  backoff?: Partial<BackoffPolicy>;
  health?: Partial<HealthCheckOptions>;
}

export interface SupervisorDeps {
  clock: Clock;
  events: EventBus;
  log: Logger;
  /** Wraps children placed `singleton` or `sharded` (cluster/placed-child.ts); absent when embedded. */
  placer?: { place(name: string, placement: 'singleton' | 'sharded', inner: Child): Child };
}

export interface ChildStatus {
  name: string;
  supervisor: string;
  state: LifecycleState;
  health: HealthState;
  restarts: number;
  /** How long the child's last passing POST took (ms), once it has passed one. */
  postMs?: number;
  /** The child spec's tag, when it has one. */
  tag?: string;
  children?: ChildStatus[];
}

interface Slot {
  spec: ResolvedChildSpec;
  child: Child | undefined;
  restarts: number;
  postMs?: number;
  consecutive: number;
  lastRestartAt: number;
  health: HealthTrack;
  /** Set while the supervisor itself stops the child, so its exit is not a failure. */
  stopping: boolean;
  /** Stopped by an operator: left down until started again. */
  parked: boolean;
  unlink: (() => void) | undefined;
}

const DEFAULT_HEALTH: HealthCheckOptions = { intervalMs: 0, timeoutMs: 1_000, thresholds: DEFAULT_THRESHOLDS };

/**
 * An OTP-style supervisor. It starts its children in dependency order (each POST must
 * pass before the next starts), restarts them by strategy and restart type when they
 * exit, gives up and escalates to its parent when restarts exceed the intensity limit,
 * runs the health state machine, and stops children in reverse order.
 * Every decision runs on one serial queue, so exits and commands never interleave.
 */
export class Supervisor implements Child {
  readonly name: string;
  private status: LifecycleState = 'idle';
  private slots: Slot[] = [];
  /** Whether the declared children have been laid out (once, at first start). */
  private built = false;
  private readonly specs: ResolvedChildSpec[];
  private readonly intensity: RestartIntensity;
  private readonly backoff: BackoffPolicy;
  private healthOptions: HealthCheckOptions;
  private healthTimer: ReturnType<Clock['setTimeout']> | undefined;
  private queue: Promise<void> = Promise.resolve();
  /** Ends a backoff wait early when the supervisor stops. */
  private wake: (() => void) | undefined;
  private readonly exitListeners = new Set<(reason: ExitReason) => void>();
  private readonly log: Logger;

  constructor(
    private readonly options: SupervisorOptions,
    private readonly deps: SupervisorDeps,
  ) {
    this.name = options.name;
    this.specs = options.children.map((spec) => resolveSpec(spec, options.name));
    this.intensity = new RestartIntensity(options.intensity ?? DEFAULT_INTENSITY, deps.clock);
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.healthOptions = { ...DEFAULT_HEALTH, ...options.health };
    this.log = deps.log.child({ component: `sup:${options.name}` });
  }

  get state(): LifecycleState {
    return this.status;
  }

  onExit(listener: (reason: ExitReason) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** Boots the children in dependency order; a failed POST stops those already started. */
  async start(): Promise<void> {
    if (this.status === 'running' || this.status === 'starting') return;
    this.status = 'starting';
    if (!this.built) {
      this.slots = [...bootOrder(this.specs, this.name).map(newSlot), ...this.slots];
      this.built = true;
    }
    const started: Slot[] = [];
    for (const slot of this.slots) {
      if (slot.parked) continue;
      const t0 = performance.now();
      try {
        await this.startSlot(slot);
      } catch (err) {
        this.post(slot, t0, false, err);
        this.status = 'stopping';
        for (const s of started.reverse()) await this.stopSlot(s);
        this.status = 'stopped';
        throw err instanceof MoboError && err.code === 'SUP_POST_FAILED'
          ? err
          : new MoboError('SUP_POST_FAILED', `${slot.spec.name} failed to start: ${describeError(err)}`, {
              details: { supervisor: this.name, child: slot.spec.name },
              cause: err,
            });
      }
      this.post(slot, t0, true);
      started.push(slot);
    }
    this.status = 'running';
    this.scheduleHealth();
  }

  /** Stops every child in reverse start order, each within its own shutdown time. */
  async stop(): Promise<void> {
    if (this.status === 'stopped' || this.status === 'stopping' || this.status === 'idle') return;
    this.status = 'stopping';
    this.cancelHealth();
    this.wake?.();
    await this.queue.catch(() => undefined);
    for (const slot of [...this.slots].reverse()) await this.stopSlot(slot);
    this.status = 'stopped';
  }

  /** Kills the whole subtree at once (chaos, or a parent giving up). */
  kill(reason = 'killed'): void {
    if (this.status === 'stopping') {
      // A parent ran out of patience with this subtree's graceful stop: the rest die now.
      for (const slot of this.slots) slot.child?.kill(reason);
      return;
    }
    if (this.status !== 'running') return;
    this.status = 'crashed';
    this.cancelHealth();
    for (const slot of this.slots) {
      slot.stopping = true;
      slot.child?.kill(reason);
      slot.stopping = false;
    }
    this.notify({ kind: 'killed', error: new Error(reason) });
  }

  async health(): Promise<HealthReport> {
    if (this.status !== 'running') return { status: 'down', details: { state: this.status } };
    const worst = worstHealth(this.slots.map((s) => (s.parked ? 'healthy' : s.health.state)));
    return { status: worst === 'healthy' ? 'ok' : 'degraded', details: { worst } };
  }

  /** Changes health-check settings at run time (config hot reload), for the whole subtree. */
  configureHealth(next: Partial<HealthCheckOptions>): void {
    this.healthOptions = { ...this.healthOptions, ...next };
    for (const slot of this.slots) if (slot.child instanceof Supervisor) slot.child.configureHealth(next);
    if (this.status === 'running') this.scheduleHealth();
  }

  /** The tree below this supervisor, for status and health reports. */
  statuses(): ChildStatus[] {
    return this.slots.map((slot) => {
      const status: ChildStatus = {
        name: slot.spec.name,
        supervisor: this.name,
        state: slot.child?.state ?? 'idle',
        health: slot.health.state,
        restarts: slot.restarts,
      };
      if (slot.postMs !== undefined) status.postMs = slot.postMs;
      if (slot.spec.tag !== undefined) status.tag = slot.spec.tag;
      if (slot.child instanceof Supervisor) status.children = slot.child.statuses();
      return status;
    });
  }

  /** Every name in the subtree, depth first. */
  names(): string[] {
    return this.slots.flatMap((s) => [s.spec.name, ...(s.child instanceof Supervisor ? s.child.names() : [])]);
  }

  restartChild(name: string): Promise<void> {
    return this.command(name, async (sup, slot) => {
      await sup.stopSlot(slot);
      await sup.startSlot(slot);
      slot.restarts++;
      sup.deps.events.emit('component.restarted', { name, supervisor: sup.name, restarts: slot.restarts, reason: 'operator' });
    });
  }

  stopChild(name: string): Promise<void> {
    return this.command(name, async (sup, slot) => {
      slot.parked = true;
      await sup.stopSlot(slot);
      sup.deps.events.emit('component.stopped', { name, supervisor: sup.name });
    });
  }

  startChild(name: string): Promise<void> {
    return this.command(name, async (sup, slot) => {
      await sup.startSlot(slot);
      sup.deps.events.emit('component.started', { name, supervisor: sup.name });
    });
  }

  /** Adds a child at run time (a project's data source, say); starts it if this supervisor runs. */
  addChild(spec: ChildSpec): Promise<void> {
    return this.enqueue(async () => {
      const resolved = resolveSpec(spec, this.name);
      if (this.slots.some((s) => s.spec.name === resolved.name) || (!this.built && this.specs.some((s) => s.name === resolved.name))) {
        throw new MoboError('ACTOR_NAME_TAKEN', `${this.name} already has a child named "${resolved.name}"`, { details: { name: resolved.name } });
      }
      for (const dep of resolved.dependsOn) {
        if (!this.slots.some((s) => s.spec.name === dep)) throw new MoboError('SUP_MISSING_DEPENDENCY', undefined, { details: { child: resolved.name, missing: dep } });
      }
      const slot = newSlot(resolved);
      this.slots.push(slot);
      if (this.status === 'running') {
        try {
          await this.startSlot(slot);
        } catch (err) {
          this.slots = this.slots.filter((s) => s !== slot);
          throw err;
        }
      }
    });
  }

  /** Adds a child under the named supervisor of this subtree. */
  addChildTo(supervisor: string, spec: ChildSpec): Promise<void> {
    const sup = this.supervisor(supervisor);
    if (!sup) return Promise.reject(notFound(supervisor));
    return sup.addChild(spec);
  }

  /** Stops a child and forgets it. */
  removeChild(name: string): Promise<void> {
    return this.command(name, async (sup, slot) => {
      slot.parked = true;
      await sup.stopSlot(slot);
      slot.unlink?.();
      sup.slots = sup.slots.filter((s) => s !== slot);
    });
  }

  /** Chaos: kill a child by name anywhere in the subtree, and let supervision bring it back. */
  killChild(name: string, reason = 'chaos'): void {
    const found = this.find(name);
    if (!found?.slot.child) throw notFound(name);
    found.slot.child.kill(reason);
  }

  /** The supervisor of that name in this subtree (this one included). */
  supervisor(name: string): Supervisor | undefined {
    if (name === this.name) return this;
    const found = this.find(name);
    return found?.slot.child instanceof Supervisor ? found.slot.child : undefined;
  }

  private find(name: string): { sup: Supervisor; slot: Slot } | undefined {
    for (const slot of this.slots) {
      if (slot.spec.name === name) return { sup: this, slot };
      if (slot.child instanceof Supervisor) {
        const found = slot.child.find(name);
        if (found) return found;
      }
    }
    return undefined;
  }

  private command(name: string, fn: (sup: Supervisor, slot: Slot) => Promise<void>): Promise<void> {
    const found = this.find(name);
    if (!found) return Promise.reject(notFound(name));
    return found.sup.enqueue(() => fn(found.sup, found.slot));
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const run = this.queue.then(fn);
    this.queue = run.catch((err) => this.log.error('supervisor step failed', { error: describeError(err) }));
    return run;
  }

  private create(spec: ResolvedChildSpec): Child {
    const { placer } = this.deps;
    return spec.placement === 'node' || !placer ? spec.create() : placer.place(spec.name, spec.placement, spec.create());
  }

  private async startSlot(slot: Slot): Promise<void> {
    const child = (slot.child ??= this.create(slot.spec));
    slot.unlink ??= child.onExit((reason) => void this.enqueue(() => this.onChildExit(slot, reason)));
    slot.parked = false;
    slot.health = HEALTHY;
    await child.start();
  }

  /**
   * A graceful stop gets the child's `shutdownMs` on the injected clock; a child still
   * not stopped then is killed (OTP's `shutdown => N` then `brutal_kill`), whatever its own
   * `stop()` does with the time it was given.
   */
  private async stopSlot(slot: Slot): Promise<void> {
    const child = slot.child;
    if (!child || child.state === 'stopped' || child.state === 'idle') return;
    slot.stopping = true;
    const ms = slot.spec.shutdownMs;
    let timer: TimerHandle | undefined;
    const overran = new Promise<'overran'>((resolve) => (timer = this.deps.clock.setTimeout(() => resolve('overran'), ms)));
    try {
      const graceful = child.stop(ms).then(
        () => 'stopped' as const,
        (err: unknown) => {
          this.log.warn('child failed to stop cleanly; killing it', { child: slot.spec.name, error: describeError(err) });
          return 'failed' as const;
        },
      );
      const outcome = await Promise.race([graceful, overran]);
      if (outcome !== 'stopped') {
        if (outcome === 'overran') this.log.warn('child overran its shutdown time; killed', { child: slot.spec.name, shutdownMs: ms });
        child.kill(outcome === 'overran' ? `did not stop within ${ms} ms` : 'failed to stop');
        this.deps.events.emit('component.killed', { name: slot.spec.name, supervisor: this.name, reason: outcome, shutdownMs: ms });
      }
    } finally {
      if (timer) this.deps.clock.clearTimeout(timer);
      slot.stopping = false;
    }
  }

  private async onChildExit(slot: Slot, reason: ExitReason): Promise<void> {
    if (this.status !== 'running' || slot.stopping || slot.parked) return;
    const name = slot.spec.name;
    this.deps.events.emit('component.exited', { name, supervisor: this.name, reason: reason.kind, error: describeError(reason.error) });
    if (!shouldRestart(slot.spec.restart, reason)) {
      if (slot.spec.restart === 'temporary') {
        await this.stopSlot(slot);
        this.slots = this.slots.filter((s) => s !== slot);
      }
      return;
    }
    if (!this.intensity.record()) return this.escalate(slot, reason);

    const index = this.slots.indexOf(slot);
    const targets = restartSet(this.options.strategy, index, this.slots.length).map((i) => this.slots[i]!);
    for (const t of [...targets].reverse()) if (t !== slot) await this.stopSlot(t);

    const now = this.deps.clock.now();
    slot.consecutive = now - slot.lastRestartAt < this.backoff.resetAfterMs ? slot.consecutive + 1 : 0;
    slot.lastRestartAt = now;
    const delay = backoffDelay(this.backoff, slot.consecutive);
    if (delay > 0) await this.sleep(delay);

    for (const t of targets) {
      if (this.status !== 'running') return;
      if (t.parked) continue;
      const t0 = performance.now();
      try {
        await this.startSlot(t);
      } catch (err) {
        // A failed restart is another exit of that child: it goes through intensity again.
        void this.enqueue(() => this.onChildExit(t, { kind: 'crash', error: err }));
        return;
      }
      t.restarts++;
      this.deps.events.emit('component.restarted', {
        name: t.spec.name,
        supervisor: this.name,
        restarts: t.restarts,
        reason: t === slot ? reason.kind : `${this.options.strategy} after ${name}`,
        ms: performance.now() - t0,
      });
    }
  }

  /** Too many restarts: stop everything here and let the parent decide. */
  private async escalate(offender: Slot, reason: ExitReason): Promise<void> {
    const error = new MoboError('SUP_MAX_RESTARTS', `${this.name} gave up after too many restarts of ${offender.spec.name}`, {
      details: {
        supervisor: this.name,
        context: 'child_terminated',
        reason: reason.kind,
        offender: offender.spec.name,
        limit: this.options.intensity ?? DEFAULT_INTENSITY,
      },
      cause: reason.error,
    });
    this.log.error('restart intensity exceeded; escalating', error.details);
    this.deps.events.emit('system.escalated', error.toBody());
    this.status = 'stopping';
    this.cancelHealth();
    for (const slot of [...this.slots].reverse()) await this.stopSlot(slot);
    this.status = 'crashed';
    this.notify({ kind: 'escalated', error });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = this.deps.clock.setTimeout(resolve, ms);
      this.wake = () => {
        this.deps.clock.clearTimeout(timer);
        resolve();
      };
    }).finally(() => (this.wake = undefined));
  }

  private post(slot: Slot, t0: number, ok: boolean, err?: unknown): void {
    const payload: Record<string, unknown> = { supervisor: this.name, name: slot.spec.name, ok, ms: performance.now() - t0 };
    if (ok) slot.postMs = Math.round((payload.ms as number) * 10) / 10;
    if (err !== undefined) payload.error = describeError(err);
    this.deps.events.emit('system.post', payload);
  }

  private scheduleHealth(): void {
    this.cancelHealth();
    if (this.healthOptions.intervalMs <= 0) return;
    this.healthTimer = this.deps.clock.setTimeout(() => {
      void this.checkHealth().finally(() => {
        if (this.status === 'running') this.scheduleHealth();
      });
    }, this.healthOptions.intervalMs);
  }

  private cancelHealth(): void {
    if (this.healthTimer) this.deps.clock.clearTimeout(this.healthTimer);
    this.healthTimer = undefined;
  }

  /** One round of checks; a child that reaches `failed` is killed, and supervision restarts it. */
  async checkHealth(): Promise<void> {
    const { timeoutMs, thresholds } = this.healthOptions;
    await Promise.all(
      this.slots.map(async (slot) => {
        const child = slot.child;
        if (!child || child.state !== 'running' || slot.parked) return;
        const observed = await child.health(timeoutMs).then(
          (r) => r.status,
          () => 'no-answer' as const,
        );
        const before = slot.health.state;
        slot.health = nextHealth(slot.health, observed, thresholds);
        if (slot.health.state !== before) {
          this.deps.events.emit('health.changed', { name: slot.spec.name, supervisor: this.name, from: before, to: slot.health.state });
        }
        if (slot.health.state === 'failed') child.kill('unhealthy');
      }),
    );
  }

  private notify(reason: ExitReason): void {
    for (const listener of [...this.exitListeners]) listener(reason);
  }
}

function newSlot(spec: ResolvedChildSpec): Slot {
  return {
    spec,
    child: undefined,
    restarts: 0,
    consecutive: 0,
    lastRestartAt: -Infinity,
    health: HEALTHY,
    stopping: false,
    parked: false,
    unlink: undefined,
  };
}

function resolveSpec(spec: ChildSpec, supervisor: string): ResolvedChildSpec {
  const parsed = childSpecSchema.safeParse(spec);
  if (!parsed.success) {
    throw new MoboError('SUP_BAD_SPEC', `Invalid child spec in ${supervisor}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
      details: { supervisor, child: spec.name, issues: parsed.error.issues.map((i) => i.path.join('.')) },
    });
  }
  const resolved: ResolvedChildSpec = { name: parsed.data.name, create: spec.create, restart: parsed.data.restart, shutdownMs: parsed.data.shutdownMs, dependsOn: parsed.data.dependsOn, placement: parsed.data.placement };
  if (parsed.data.tag !== undefined) resolved.tag = parsed.data.tag;
  return resolved;
}

function notFound(name: string): MoboError {
  return new MoboError('SUP_CHILD_NOT_FOUND', `No component named "${name}"`, { details: { name } });
}
