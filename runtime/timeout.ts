import { MoboError } from './errors.js';

/** Races a promise against a timer; the timer is always cleared. */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => MoboError): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function askTimeout(address: string, ms: number): MoboError {
  return new MoboError('ACTOR_ASK_TIMEOUT', `No answer from ${address} within ${ms} ms`, { details: { actor: address, timeoutMs: ms } });
}
