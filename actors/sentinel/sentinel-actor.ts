import type { ActorSlot, Board } from '../board.js';
import { sentinelConfig } from './config.js';
import { sentinelErrors } from './errors.js';
import { mountSentinel } from './routes.js';
import { sentinelFor } from './sentinel.js';
import { type Behavior, describeError } from '../../runtime/index.js';

/** How often lapsed blocks are swept (they are already ignored when looked up). */
const SWEEP_MS = 30_000;

/**
 * MagSentinel's slot (group security). Its POST loads the stored blocks and allow entries,
 * subscribes to the bus, and loads the SQLGuard model when Sentinel is on; its routes are
 * the operator API and its edge hook. `sentinel.*` reloads without a restart: a changed
 * `sqlguard.model` swaps the model in, and turning `enabled` on or off restarts this slot,
 * which adds or removes the hook.
 */
export const sentinelSlot: ActorSlot = {
  name: 'sentinel',
  group: 'security',
  config: sentinelConfig,
  errors: sentinelErrors,
  routes: mountSentinel,
  behavior: (board: Board): Behavior => {
    const sentinel = sentinelFor(board);
    const clock = board.system.clock;
    let timer: ReturnType<typeof clock.setTimeout> | undefined;
    let offReload: (() => void) | undefined;
    const sweep = () => {
      for (const lapsed of sentinel.blocks.sweep()) board.system.events.emit('security.expired', { kind: lapsed.kind, value: lapsed.value, node: board.nodeId });
      timer = clock.setTimeout(sweep, SWEEP_MS);
    };
    return {
      async start() {
        await sentinel.start();
        timer = clock.setTimeout(sweep, SWEEP_MS);
        let enabled = sentinel.config().enabled;
        offReload = board.system.events.on('system.config.changed', () => {
          const now = sentinel.config().enabled;
          if (now !== enabled) {
            enabled = now;
            void board.tree.restartChild('sentinel').catch((err: unknown) => board.log.warn('sentinel restart failed', { error: describeError(err) }));
          } else if (now) void sentinel.ensureModel().catch((err: unknown) => board.log.warn('sentinel model reload failed', { error: describeError(err) }));
        });
      },
      receive: () => null,
      async stop() {
        if (timer) clock.clearTimeout(timer);
        offReload?.();
        await sentinel.stop();
      },
    };
  },
};
