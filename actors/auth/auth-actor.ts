import type { ActorSlot, Board } from '../board.js';
import { ensureTables } from '../ds/catalog-tables.js';
import { adminHandlers } from './admin-handlers.js';
import { authDeps } from './deps.js';
import { gatekeeperFor } from './gatekeeper.js';
import { onAuthChange } from './invalidation.js';
import { setHashWorkers } from './hash-pool.js';
import { authLimiters } from './login-limiter.js';
import { ownerHandlers } from './owner-handlers.js';
import { sessionHandlers } from './session-handlers.js';
import { warmJose } from './jose.js';
import { checkSigningKey } from './signing-keys.js';
import { AUTH_TABLES } from './tables.js';
import { type Behavior, dispatch } from '../../runtime/index.js';

/**
 * MagAuth: the actor that owns users, sessions, API keys, roles, service accounts, row
 * rules, policies, project signup settings and signing keys (messages `auth.*`,
 * `token.issue`, `key.*`, `keys.show`, `user.*`, `role.*`, `sa.*`, `rule.*`, `policy.*`, `signup.*`, `owner.*`). Its POST creates the tables and the first signing key. Requests
 * are checked in-process by the Gatekeeper (gatekeeper.ts), not by this actor.
 *
 * Concurrency 64: password hashing runs on a pool of threads of its own (hash-pool.ts,
 * one per core) with its queue, so logins must not queue here in front of it; every
 * handler is safe to interleave (refresh rotation is a compare-and-set in the store).
 */
export const authSlot: ActorSlot = {
  name: 'auth',
  group: 'security',
  mailbox: { concurrency: 64 },
  behavior: (board: Board): Behavior => {
    const deps = authDeps(board);
    setHashWorkers(board.configStore.current().auth.hashWorkers);
    const limiter = authLimiters(board.configStore.current().auth.limits, deps.clock, board.system.events, board.nodeId);
    const handlers = { ...sessionHandlers(deps, limiter), ...adminHandlers(deps), ...ownerHandlers(deps, limiter) };
    let off: (() => void) | undefined;
    return {
      async start(ctx) {
        await ensureTables(deps.store, AUTH_TABLES);
        await checkSigningKey(deps.store, deps.box);
        warmJose();
        off = onAuthChange(board, { invalidate: (change) => change === 'signing' && deps.forgetSigner() });
        // What the node's gatekeeper cached from the previous incarnation may be stale: begin clean.
        gatekeeperFor(board).forget();
        ctx.log.debug('auth ready');
      },
      receive: (msg, ctx) => dispatch(handlers, msg, ctx),
      stop() {
        off?.();
        limiter.close();
      },
    };
  },
};
