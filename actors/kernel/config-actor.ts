import { z } from 'zod';
import type { Board, ComponentSlot } from '../board.js';
import { applyReloadable, diffConfig, loadConfig } from '../../config/index.js';
import { type Behavior, dispatch, on } from '../../runtime/index.js';

/**
 * Holds the node's configuration. `config.reload` re-reads file and env: a bad file is
 * refused with CONFIG_INVALID and the running config stays; reloadable keys take effect
 * at once (announced as `system.config.changed`), others are reported as needing a restart.
 */
export const configSlot: ComponentSlot = {
  name: 'config',
  group: 'kernel',
  behavior: (board: Board): Behavior => {
    const handlers = {
      'config.get': on(z.null().optional(), () => board.configStore.current()),
      'config.reload': on(z.null().optional(), () => {
        const before = board.configStore.current();
        const { config: loaded } = loadConfig(board.configStore.loadOptions);
        const diff = diffConfig(before, loaded);
        if (diff.applied.length > 0) {
          board.configStore.replace(applyReloadable(before, loaded));
          board.system.events.emit('system.config.changed', diff);
        }
        return diff;
      }),
    };
    return { receive: (msg, ctx) => dispatch(handlers, msg, ctx) };
  },
};
