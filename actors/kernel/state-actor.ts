import { join } from 'node:path';
import { z } from 'zod';
import type { Board, ComponentSlot } from '../board.js';
import { MEMORY_KEY, beginRun, previousRun, readMemory, updateRun, type NodeMemory, type Run } from './node-memory.js';
import { StateFile, type StateData } from './state-file.js';
import { flatten } from './tree-view.js';
import { type Behavior, dispatch, on, type TimerHandle } from '../../runtime/index.js';

const key = z.object({ key: z.string().min(1).max(512) });

/** Component changes are written at most this often (each write is an fsync). */
const SNAPSHOT_EVERY_MS = 500;

/**
 * Durable node state (`<dataDir>/state.json`). It remembers what the node must know across
 * restarts: its runs (boot, ready, how each ended: shutdown, fatal, or crashed when a run
 * never recorded its end) and the components' last states and health, so `mobo status`
 * shows the last run after a crash (`state.history`). Components keep small values of their
 * own under `state.get|set|delete|all`. Each write replaces the file atomically before it
 * is acknowledged; a corrupt file is set aside, reported as `system.state.corrupt`, and the
 * node carries on with empty state.
 */
export const stateSlot: ComponentSlot = {
  name: 'state',
  group: 'kernel',
  // After the control store's POST: state.json is part of what shows a node ran here before
  // (data-dir.ts), so on a first boot it must not exist before the store checks for a lost store.
  dependsOn: ['config', 'store'],
  behavior: (board: Board): Behavior => {
    const file = new StateFile(join(board.configStore.current().dataDir, 'state.json'));
    let data: StateData = {};
    let recoveredFrom: string | undefined;
    let offs: Array<() => void> = [];
    let timer: TimerHandle | undefined;
    const write = (next: StateData): void => {
      file.save(next);
      data = next;
    };
    const memory = (): NodeMemory => readMemory(data);
    const remember = (next: NodeMemory): void => write({ ...data, [MEMORY_KEY]: next });
    const now = (): string => new Date(board.system.clock.now()).toISOString();
    const snapshot = (): void => remember(updateRun(memory(), { components: flatten(board.tree.statuses()), seenAt: now() }));

    const handlers = {
      'state.get': on(key, ({ key }) => (Object.hasOwn(data, key) ? data[key] : null)),
      'state.set': on(key.extend({ value: z.unknown() }), ({ key, value }) => {
        if (key === MEMORY_KEY) return false;
        write({ ...data, [key]: value });
        return true;
      }),
      'state.delete': on(key, ({ key }) => {
        if (key === MEMORY_KEY || !Object.hasOwn(data, key)) return false;
        const { [key]: _removed, ...rest } = data;
        write(rest);
        return true;
      }),
      'state.all': on(z.null().optional(), () => data),
      'state.history': on(z.null().optional(), (): { runs: Run[]; previous: Run | null } => ({ runs: memory().runs, previous: previousRun(memory()) ?? null })),
      /** From MoboNode as it stops: how this run ends (a run that never says so crashed). */
      'state.ending': on(z.object({ kind: z.enum(['shutdown', 'fatal']), reason: z.string().max(500) }), ({ kind, reason }) => {
        snapshot();
        remember(updateRun(memory(), { end: { kind, reason, at: now() } }));
        return true;
      }),
      'state.snapshot': on(z.null().optional(), () => void snapshot()),
      'state.ready': on(z.null().optional(), () => {
        snapshot();
        remember(updateRun(memory(), { readyAt: now() }));
      }),
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
        const current = memory().runs.at(-1);
        // A restart of this actor within the same run carries on with that run.
        if (!current || current.pid !== process.pid || current.end) remember(beginRun(memory(), { node: board.nodeId, pid: process.pid, startedAt: now() }));
        const later = (): void => {
          timer ??= ctx.clock.setTimeout(() => {
            timer = undefined;
            ctx.self.tell('state.snapshot');
          }, SNAPSHOT_EVERY_MS);
        };
        offs = [
          board.system.events.on('system.ready', () => ctx.self.tell('state.ready')),
          board.system.events.on('component.*', later),
          board.system.events.on('health.changed', later),
        ];
      },
      receive: (msg, ctx) => dispatch(handlers, msg, ctx),
      stop(ctx) {
        for (const off of offs) off();
        if (timer) ctx.clock.clearTimeout(timer);
      },
      health: () => ({ status: 'ok', details: { keys: Object.keys(data).length, ...(recoveredFrom ? { recoveredFrom } : {}) } }),
    };
  },
};
