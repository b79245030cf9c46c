import { BACKUP_TOPIC } from '../../actors/backup/backup-actor.js';
import type { Board } from '../../actors/board.js';
import { sourceAddress } from '../../actors/ds/protocol.js';
import { cacheScope, type ReadCache } from './read-cache.js';

interface ChangePayload {
  project?: unknown;
  source?: unknown;
  table?: unknown;
}

/**
 * Drops the read cache's answers when data changes without a REST write of this node's: each
 * change-feed event (`data.<project>.<source>.<table>`) drops its table, and a restore (or its
 * rollback) drops everything. Returns the unsubscribe.
 */
export function dropCacheOnChanges(board: Board, cache: ReadCache): () => void {
  const offChanges = board.system.events.on<ChangePayload>('data.*.*.*', ({ payload }) => {
    const { project, source, table } = payload;
    if (typeof project === 'string' && typeof source === 'string' && typeof table === 'string') cache.invalidate(cacheScope(sourceAddress(project, source), table));
  });
  const offRestore = board.system.events.on<{ kind?: string }>(`${BACKUP_TOPIC}.*`, (event) => {
    if (event.payload.kind === 'restore' && !event.topic.endsWith('.progress')) cache.clear();
  });
  return () => {
    offChanges();
    offRestore();
  };
}
