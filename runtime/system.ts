import type { BehaviorFactory } from './behavior.js';
import { ActorCell, type CellOptions } from './cell.js';
import { systemClock, type Clock } from './clock.js';
import { assertAddress } from './envelope.js';
import { MoboError } from './errors.js';
import { EventBus } from './eventbus.js';
import { LocalTransport } from './local-transport.js';
import { Logger } from './logger.js';
import { ActorRef } from './ref.js';
import { ServiceDirectory } from './services.js';
import type { Transport } from './transport.js';

export interface ActorSystemOptions {
  nodeId?: string;
  transport?: Transport;
  clock?: Clock;
  log?: Logger;
}

/** One process's actors: it makes cells, hands out refs, and owns the transport and event bus. */
export class ActorSystem {
  readonly nodeId: string;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: EventBus;
  /** Shared in-process services of this node, owned here so shutdown closes them. */
  readonly services = new ServiceDirectory();
  private readonly cells = new Map<string, ActorCell>();

  constructor(opts: ActorSystemOptions = {}) {
    this.nodeId = opts.nodeId ?? 'node1';
    this.transport = opts.transport ?? new LocalTransport();
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? Logger.silent();
    this.events = new EventBus(this.transport, this.log.child({ component: 'events' }), { clock: this.clock });
  }

  /** Makes an actor (not yet started: a supervisor or `start()` starts it). */
  spawn(name: string, factory: BehaviorFactory, opts: CellOptions = {}): ActorCell {
    assertAddress(name);
    const existing = this.cells.get(name);
    if (existing && existing.state !== 'stopped') throw new MoboError('ACTOR_NAME_TAKEN', undefined, { details: { name } });
    const cell = new ActorCell(name, factory, this, opts);
    this.cells.set(name, cell);
    return cell;
  }

  /** Spawns and starts in one step, for actors outside any supervisor (tests, tools). */
  async start(name: string, factory: BehaviorFactory, opts: CellOptions = {}): Promise<ActorCell> {
    const cell = this.spawn(name, factory, opts);
    await cell.start();
    return cell;
  }

  ref(address: string, sender?: string): ActorRef {
    return new ActorRef(address, this.transport, this.clock, sender);
  }

  cell(name: string): ActorCell | undefined {
    return this.cells.get(name);
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.cells.values()].map((c) => c.stop(1_000)));
    await this.services.closeAll();
    await this.events.close();
    await this.transport.close();
  }
}
