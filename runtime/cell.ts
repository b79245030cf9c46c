import type { Behavior, BehaviorFactory } from './behavior.js';
import type { ActorContext } from './context.js';
import type { Envelope } from './envelope.js';
import { MoboError, describeError, type ErrorCode } from './errors.js';
import { isAbnormal, type ExitReason, type HealthReport, type LifecycleState } from './lifecycle.js';
import { DEFAULT_MAILBOX, Mailbox, type MailboxItem, type MailboxOptions } from './mailbox.js';
import type { ActorRef } from './ref.js';
import type { ActorSystem } from './system.js';
import type { Listener } from './transport.js';
import { withTimeout } from './timeout.js';

/** Messages every actor understands, handled by the runtime before its behavior. */
export const SYS_HEALTH = 'sys.health';
export const SYS_KILL = 'sys.kill';

class Delivery implements MailboxItem {
  settled = false;
  constructor(
    readonly env: Envelope,
    private readonly resolveFn?: (value: unknown) => void,
    private readonly rejectFn?: (error: unknown) => void,
  ) {}
  resolve(value: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveFn?.(value);
  }
  drop(error: MoboError): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectFn?.(error);
  }
}

const DEFAULT_STOP_MS = 5_000;

export type ExitListener = (reason: ExitReason) => void;

export interface CellOptions {
  mailbox?: Partial<MailboxOptions>;
  /** Join a pool of workers sharing this address (a NATS queue group). */
  queue?: string;
  /**
   * Refuse messages at once with this code while the actor is down (crashed, restarting),
   * instead of queueing them for the next incarnation. For actors whose callers would
   * rather retry than wait, like a connection to a database that is away.
   */
  downError?: ErrorCode;
}

/**
 * One actor: its address, its mailbox and the current incarnation of its behavior.
 * The address and mailbox outlive restarts, so messages sent while the actor restarts
 * wait for the new incarnation instead of being lost.
 */
export class ActorCell {
  private behavior: Behavior | undefined;
  private status: LifecycleState = 'idle';
  private generation = 0;
  private listener: Listener | undefined;
  private readonly mailbox: Mailbox<Delivery>;
  private readonly inFlight = new Set<Delivery>();
  private readonly exitListeners = new Set<ExitListener>();
  private readonly context: ActorContext;
  /** Set while a graceful stop waits: ends the wait at once (a kill during shutdown). */
  private abortStop: (() => void) | undefined;

  constructor(
    readonly name: string,
    private readonly factory: BehaviorFactory,
    private readonly system: ActorSystem,
    private readonly options: CellOptions = {},
  ) {
    this.mailbox = new Mailbox({ ...DEFAULT_MAILBOX, ...options.mailbox }, (d) => this.process(d));
    this.mailbox.suspend();
    const self = system.ref(name);
    this.context = {
      name,
      self,
      log: system.log.child({ component: name }),
      clock: system.clock,
      events: system.events,
      ref: (address: string): ActorRef => system.ref(address, name),
      fail: (error: unknown) => this.exit({ kind: 'crash', error }),
      stopSelf: () => void this.stopWith({ kind: 'normal' }, DEFAULT_STOP_MS),
    };
  }

  get state(): LifecycleState {
    return this.status;
  }

  get queued(): number {
    return this.mailbox.size;
  }

  onExit(listener: ExitListener): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** Starts (or restarts) the actor: a fresh behavior, its POST, then the mailbox opens. */
  async start(): Promise<void> {
    if (this.status === 'running' || this.status === 'starting') return;
    this.status = 'starting';
    this.generation++;
    this.listener ??= await this.system.transport.listen(this.name, this.deliver, this.options.queue === undefined ? {} : { queue: this.options.queue });
    const behavior = this.factory();
    try {
      await behavior.start?.(this.context);
    } catch (err) {
      this.status = 'crashed';
      await Promise.resolve(behavior.stop?.(this.context, { kind: 'crash', error: err })).catch(() => undefined);
      throw new MoboError('SUP_POST_FAILED', `${this.name} failed its start check: ${describeError(err)}`, {
        details: { actor: this.name },
        cause: err,
      });
    }
    this.behavior = behavior;
    this.status = 'running';
    this.mailbox.resume();
  }

  /** Graceful stop: finish what is in flight (up to timeoutMs), then release; queued asks fail with ACTOR_STOPPED. */
  stop(timeoutMs = DEFAULT_STOP_MS): Promise<void> {
    return this.stopWith({ kind: 'shutdown' }, timeoutMs);
  }

  /** Chaos and last resort: the actor dies at once, whatever it was doing. */
  kill(reason = 'killed'): void {
    if (this.status === 'stopping') return this.abortStop?.();
    this.exit({ kind: 'killed', error: new Error(reason) });
  }

  /** Asks the actor through its own mailbox, so a stuck actor fails its health check. */
  async health(timeoutMs: number): Promise<HealthReport> {
    if (this.status !== 'running') return { status: 'down', details: { state: this.status } };
    return this.system.ref(this.name).ask<HealthReport>(SYS_HEALTH, null, { timeoutMs });
  }

  /** The transport's entry point for this address. */
  private readonly deliver = (env: Envelope, wantsReply: boolean): unknown => {
    if (env.type === SYS_KILL) {
      this.kill(`killed by ${env.from ?? 'request'}`);
      return { killed: this.name };
    }
    if (this.status === 'stopped' || this.status === 'stopping' || this.status === 'idle') {
      throw new MoboError('ACTOR_STOPPED', `${this.name} is not running`, { details: { actor: this.name } });
    }
    if (this.options.downError !== undefined && this.status !== 'running') {
      throw new MoboError(this.options.downError, undefined, { details: { actor: this.name, state: this.status } });
    }
    if (!wantsReply) {
      this.mailbox.push(new Delivery(env));
      return undefined;
    }
    return new Promise((resolve, reject) => this.mailbox.push(new Delivery(env, resolve, reject)));
  };

  private process(d: Delivery): void | Promise<unknown> {
    const behavior = this.behavior;
    if (d.settled) return;
    if (!behavior) return d.drop(new MoboError('ACTOR_STOPPED', `${this.name} is not running`));
    if (d.env.deadline !== undefined && this.system.clock.now() > d.env.deadline) {
      return d.drop(new MoboError('ACTOR_ASK_TIMEOUT', 'The message expired before it was handled', { details: { actor: this.name } }));
    }
    const generation = this.generation;
    let result: unknown;
    try {
      result = d.env.type === SYS_HEALTH ? (behavior.health?.(this.context) ?? { status: 'ok' }) : behavior.receive(d.env, this.context);
    } catch (err) {
      return this.fault(d, err, generation);
    }
    if (!(result instanceof Promise)) return d.resolve(result);
    this.inFlight.add(d);
    return result.then(
      (value) => {
        this.inFlight.delete(d);
        d.resolve(value);
      },
      (err) => {
        this.inFlight.delete(d);
        this.fault(d, err, generation);
      },
    );
  }

  private fault(d: Delivery, err: unknown, generation: number): void {
    if (err instanceof MoboError) return d.drop(err);
    d.drop(new MoboError('ACTOR_CRASHED', `${this.name} crashed handling "${d.env.type}"`, { details: { actor: this.name } }));
    if (generation === this.generation) this.exit({ kind: 'crash', error: err }, d.env.traceId);
  }

  /** An abnormal end: in-flight asks fail, queued messages wait for a restart or a stop. */
  /** `traceId`: the message being handled when the actor crashed, to tie the log to its request. */
  private exit(reason: ExitReason, traceId?: string): void {
    if (this.status !== 'running' && this.status !== 'starting') return;
    this.status = 'crashed';
    this.generation++;
    this.mailbox.suspend();
    for (const d of this.inFlight) d.drop(new MoboError('ACTOR_CRASHED', `${this.name} stopped while handling "${d.env.type}"`));
    this.inFlight.clear();
    const behavior = this.behavior;
    this.behavior = undefined;
    if (behavior?.stop) {
      Promise.resolve()
        .then(() => behavior.stop!(this.context, reason))
        .catch((err) => this.context.log.warn('cleanup after crash failed', { error: describeError(err) }));
    }
    if (isAbnormal(reason)) {
      this.context.log.warn('actor exited', { reason: reason.kind, error: describeError(reason.error), ...(traceId ? { traceId } : {}) });
    }
    this.notify(reason);
  }

  private async stopWith(reason: ExitReason, timeoutMs: number): Promise<void> {
    if (this.status === 'stopped' || this.status === 'stopping') return;
    const wasRunning = this.status === 'running';
    this.status = 'stopping';
    this.mailbox.suspend();
    for (const d of this.mailbox.drain()) d.drop(new MoboError('ACTOR_STOPPED', `${this.name} stopped`, { details: { actor: this.name } }));
    const behavior = this.behavior;
    this.behavior = undefined;
    if (wasRunning && behavior) {
      const graceful = this.mailbox.whenIdle().then(() => behavior.stop?.(this.context, reason));
      const killed = new Promise<never>((_, reject) => (this.abortStop = () => reject(new MoboError('SUP_SHUTDOWN_TIMEOUT', 'killed while stopping', { details: { actor: this.name } }))));
      const timeout = () => new MoboError('SUP_SHUTDOWN_TIMEOUT', undefined, { details: { actor: this.name, timeoutMs } });
      try {
        await withTimeout(Promise.race([graceful, killed]), timeoutMs, timeout, this.system.clock);
      } catch (err) {
        this.context.log.warn('actor did not stop cleanly; killed', { error: describeError(err) });
        for (const d of this.inFlight) d.drop(new MoboError('ACTOR_STOPPED', `${this.name} was killed on shutdown`));
        this.inFlight.clear();
      } finally {
        this.abortStop = undefined;
      }
    }
    this.generation++;
    await this.listener?.close();
    this.listener = undefined;
    this.status = 'stopped';
    if (reason.kind === 'normal') this.notify(reason);
  }

  private notify(reason: ExitReason): void {
    for (const listener of [...this.exitListeners]) listener(reason);
  }
}
