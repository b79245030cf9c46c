import { join } from 'node:path';
import { z } from 'zod';
import { dispatch, on, type Behavior } from '../../runtime/behavior.js';
import type { Board, ComponentSlot } from '../board.js';
import { StateFile, type StateData } from './state-file.js';

const key = z.object({ key: z.string().min(1).max(512) });

/**
 * Durable node state (`<dataDir>/state.json`): `state.get|set|delete|all`. Each write
 * replaces the file atomically before it is acknowledged. A corrupt file is set aside,
 * reported as `system.state.corrupt`, and the node carries on with empty state.
 */
export const stateSlot: ComponentSlot = {
  name: 'state',
  group: 'kernel',
  dependsOn: ['config'],
  behavior: (board: Board): Behavior => {
    const file = new StateFile(join(board.configStore.current().dataDir, 'state.json'));
    let data: StateData = {};
    let recoveredFrom: string | undefined;
    const write = (next: StateData): void => {
      file.save(next);
      data = next;
    };
    const handlers = {
      'state.get': on(key, ({ key }) => (Object.hasOwn(data, key) ? data[key] : null)),
      'state.set': on(key.extend({ value: z.unknown() }), ({ key, value }) => {
        write({ ...data, [key]: value });
        return true;
      }),
      'state.delete': on(key, ({ key }) => {
        if (!Object.hasOwn(data, key)) return false;
        const { [key]: _removed, ...rest } = data;
        write(rest);
        return true;
      }),
      'state.all': on(z.null().optional(), () => data),
    };
    return {
      start(ctx) {
        const loaded = file.load();
        data = loaded.data;
        recoveredFrom = loaded.setAside;
        if (recoveredFrom) {
          ctx.log.error('state file was corrupt; set aside and started empty', { setAside: recoveredFrom });
          board.system.events.emit('system.state.corrupt', { path: file.path, setAside: recoveredFrom });
        }
      },
      receive: (msg, ctx) => dispatch(handlers, msg, ctx),
      health: () => ({ status: 'ok', details: { keys: Object.keys(data).length, ...(recoveredFrom ? { recoveredFrom } : {}) } }),
    };
  },
};
