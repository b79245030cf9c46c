import type { Board } from '../actors/board.js';
import type { Logger } from '../runtime/logger.js';
import type { AdminHandler } from './admin-routes.js';
import type { HttpServer } from './http-server.js';
import type { Metrics } from './metrics.js';
import type { Router } from './router.js';

/** What a component that serves on the node's HTTP port gets: MagGate REST, MagAuth, MagWS … */
export interface EdgeContext {
  router: Router;
  server: HttpServer;
  board: Board;
  /** Wraps a handler so it runs only with the node's admin token. */
  admin: AdminHandler;
  metrics: Metrics;
  log: Logger;
  /** Runs when the HTTP component stops (timers, subscriptions, sockets). */
  onStop(release: () => void | Promise<void>): void;
}

export type RouteMount = (edge: EdgeContext) => void | Promise<void>;
