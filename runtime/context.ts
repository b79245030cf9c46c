import type { Clock } from './clock.js';
import type { EventBus } from './eventbus.js';
import type { Logger } from './logger.js';
import type { ActorRef } from './ref.js';

/** What an actor sees of the world while it runs. */
export interface ActorContext {
  readonly name: string;
  readonly self: ActorRef;
  readonly log: Logger;
  readonly clock: Clock;
  readonly events: EventBus;
  /** A reference to any actor by address, local or remote. */
  ref(address: string): ActorRef;
  /** Crash on purpose (a lost connection, a broken invariant): the supervisor decides what next. */
  fail(error: unknown): void;
  /** Stop with a normal exit: transient children are not restarted. */
  stopSelf(): void;
}
