import { BACKUP_TOPIC } from '../../actors/backup/backup-actor.js';
import type { Board } from '../../actors/board.js';
import { SOURCES_CHANGED_TOPIC } from '../../actors/ds/catalog.js';
import { SCHEMA_REFRESHED_TOPIC, sourceAddress } from '../../actors/ds/protocol.js';
import type { ReadCache } from './read-cache.js';
import type { SchemaCache } from './schema-cache.js';
import { topics } from '../../runtime/index.js';

interface ChangePayload {
  project?: unknown;
  source?: unknown;
}

/**
 * Drops the read cache's answers when data changes without a REST write of this node's: a
 * change-feed event (`data.<project>.<source>.<table>`) or a source removed, re-added or
 * changed drops that source's answers, and a restore (its start, end or rollback) drops
 * everything. A source's schema re-read by this node's connection actor (a schema change, here or
 * on another node, or a table found made outside) drops its tables (REST, OpenAPI) and answers.
 * Returns the unsubscribe.
 */
export function dropCacheOnChanges(board: Board, cache: ReadCache, schemas?: SchemaCache): () => void {
  const dropSource = (project: unknown, source: unknown): void => {
    if (typeof project === 'string' && typeof source === 'string') cache.invalidate(sourceAddress(project, source));
  };
  const offs = [
    board.system.events.on<ChangePayload>(topics.data.all, ({ payload }) => dropSource(payload.project, payload.source)),
    board.system.events.on<{ project?: unknown; name?: unknown }>(SOURCES_CHANGED_TOPIC, ({ payload }) => dropSource(payload.project, payload.name)),
    board.system.events.on<{ project?: unknown; source?: unknown }>(SCHEMA_REFRESHED_TOPIC, ({ payload }) => {
      if (typeof payload.project === 'string' && typeof payload.source === 'string') schemas?.invalidate(payload.project, payload.source);
      dropSource(payload.project, payload.source);
    }),
    board.system.events.on<{ kind?: string }>(`${BACKUP_TOPIC}.*`, (event) => {
      if (event.payload.kind === 'restore' && !event.topic.endsWith('.progress')) cache.clear();
    }),
  ];
  return () => offs.forEach((off) => off());
}
