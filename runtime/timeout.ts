import { systemClock, type Clock } from './clock.js';
import { MoboError } from './errors.js';

/**
 * Settles with the promise, or rejects with onTimeout() after ms on `clock` (pass the
 * actor system's clock, so tests drive it); the timer is always cleared. One promise per call.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => MoboError, clock: Clock = systemClock): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clock.clearTimeout(timer);
        reject(err);
      },
    );
  });
}

export function askTimeout(address: string, ms: number): MoboError {
  return new MoboError('ACTOR_ASK_TIMEOUT', `No answer from ${address} within ${ms} ms`, { details: { actor: address, timeoutMs: ms } });
}
