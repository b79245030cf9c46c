import { MoboError } from './errors.js';

/** Settles with the promise, or rejects with onTimeout() after ms; the timer is always cleared. One promise per call. */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => MoboError): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

export function askTimeout(address: string, ms: number): MoboError {
  return new MoboError('ACTOR_ASK_TIMEOUT', `No answer from ${address} within ${ms} ms`, { details: { actor: address, timeoutMs: ms } });
}
