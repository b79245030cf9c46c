import type { MoboError } from '../runtime/index.js';

/** A wrapper that runs driver calls and rethrows their failures through one error mapper. */
export function errorGuard(toMoboError: (err: unknown) => MoboError): <T>(fn: () => Promise<T>) => Promise<T> {
  return async (fn) => {
    try {
      return await fn();
    } catch (err) {
      throw toMoboError(err);
    }
  };
}
