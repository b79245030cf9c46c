import type { Board } from '../board.js';
import type { InspectedRequest } from './request-values.js';
import { sentinelFor, type Answer, type Surface } from './sentinel.js';

export type EdgeHook = <Req extends InspectedRequest, R extends Answer>(handler: (req: Req) => R | Promise<R>) => (req: Req) => R | Promise<R>;

/**
 * The edge hook of one surface: wraps a route handler so Sentinel sees the request before
 * it runs and the answer after. With Sentinel off the wrapper calls the handler directly
 * (one config read, no promise of its own). The plug-in contract's pipeline calls
 * `Sentinel.guard` the same way.
 */
export function edgeHook(board: Board, surface: Surface): EdgeHook {
  const sentinel = sentinelFor(board);
  return (handler) => (req) => (sentinel.config().enabled ? sentinel.guard(surface, req, () => handler(req)) : handler(req));
}
