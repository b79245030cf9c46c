import { join } from 'node:path';
import { createAdapter, type SourceConfig } from '../../adapters/index.js';
import type { ActorSlot, Board } from '../board.js';
import { connectionBehavior } from '../ds/connection.js';
import { DataClient } from '../ds/protocol.js';
import { clearNewStoreMarker, newStoreExpected, tightenDataDir } from './data-dir.js';
import { checkAfterOpen, checkBeforeOpen, corrupt } from './store-guard.js';
import type { MoboConfig } from '../../config/index.js';
import type { Behavior } from '../../runtime/index.js';

/** The node's control store: SQLite in the data dir (embedded) or a shared Postgres (cluster). */
export function controlSource(config: Readonly<MoboConfig>): SourceConfig {
  const { kind, url } = config.control;
  return { kind, url: url ?? join(config.dataDir, 'control.db') };
}

/**
 * Projects, sources, users and keys live here. It is an ordinary connection actor, so
 * the control data gets the same query AST, validation and supervision as project data.
 * Its POST refuses a store that is missing, empty or damaged where a node has run before
 * (store-guard.ts), and its health check runs the integrity check again.
 */
export const storeSlot: ActorSlot = {
  name: 'store',
  group: 'kernel',
  dependsOn: ['config'],
  mailbox: { concurrency: 8 },
  behavior: (board: Board): Behavior => {
    const config = board.configStore.current();
    const source = controlSource(config);
    const adapter = createAdapter(source);
    const connection = connectionBehavior({ project: '_system', source: 'control', config: source, watch: false, eager: true }, board.system.events, adapter);
    return {
      ...connection,
      async start(ctx) {
        const before = await checkBeforeOpen(adapter, source, config.dataDir);
        await connection.start?.(ctx);
        await checkAfterOpen(adapter, source, before);
        // SQLite made control.db with the umask's mode; its -wal and -shm take the file's.
        for (const path of tightenDataDir(config.dataDir)) ctx.log.warn('cannot make owner-only', { path });
        // A store made new on purpose counts as the store from its first ready boot on.
        if (newStoreExpected(config.dataDir)) {
          void board.system.events.once<{ node?: string }>('system.ready', (e) => e.payload.node === board.nodeId).then(() => clearNewStoreMarker(config.dataDir));
        }
      },
      async health(ctx) {
        const report = (await connection.health?.(ctx)) ?? { status: 'ok' as const };
        if (report.status !== 'ok') return report;
        const problems = await adapter.integrity();
        return problems.length === 0 ? report : { status: 'down', details: { code: 'CONTROL_STORE_CORRUPT', message: corrupt(problems, source.kind).message } };
      },
    };
  },
};

export function controlStore(board: Board): DataClient {
  return new DataClient(board.system.ref(board.address('store')));
}
