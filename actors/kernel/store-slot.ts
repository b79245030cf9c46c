import { join } from 'node:path';
import type { SourceConfig } from '../../adapters/types.js';
import type { MoboConfig } from '../../config/schema.js';
import type { ActorSlot, Board } from '../board.js';
import { connectionBehavior } from '../ds/connection.js';
import { DataClient } from '../ds/protocol.js';

/** The node's control store: SQLite in the data dir (embedded) or a shared Postgres (cluster). */
export function controlSource(config: Readonly<MoboConfig>): SourceConfig {
  const { kind, url } = config.control;
  return { kind, url: url ?? join(config.dataDir, 'control.db') };
}

/**
 * Projects, sources, users and keys live here. It is an ordinary connection actor, so
 * the control data gets the same query AST, validation and supervision as project data.
 */
export const storeSlot: ActorSlot = {
  name: 'store',
  group: 'kernel',
  dependsOn: ['config'],
  mailbox: { concurrency: 8 },
  behavior: (board: Board) =>
    connectionBehavior({ project: '_system', source: 'control', config: controlSource(board.configStore.current()), watch: false }, board.system.events),
};

export function controlStore(board: Board): DataClient {
  return new DataClient(board.system.ref(board.address('store')));
}
