import type { Board } from '../board.js';

/**
 * What changed in MagAuth, as far as caches care. The auth actor clears this process's
 * caches synchronously before it answers (so "revoked" holds at once on this node) and
 * publishes `security.auth.<kind>` on the event bus, which crosses nodes over NATS.
 * Every cache also has a short TTL, bounding staleness should a bus message be lost.
 */
export type AuthChange = 'keys' | 'users' | 'roles' | 'rules' | 'policies' | 'service_accounts' | 'signing';

export const AUTH_CHANGE_TOPIC = 'security.auth';

export interface ChangeListener {
  /** `project`: the project whose credentials or rules changed (absent: any). */
  invalidate(change: AuthChange, project?: string): void;
}

const listeners = new WeakMap<Board, Set<ChangeListener>>();

export function onAuthChange(board: Board, listener: ChangeListener): () => void {
  const set = listeners.get(board) ?? new Set<ChangeListener>();
  listeners.set(board, set);
  set.add(listener);
  const off = board.system.events.on<{ change: AuthChange; project: string | null; node: string }>(`${AUTH_CHANGE_TOPIC}.>`, (event) => {
    // This node's own announcements reached its listeners directly, before the bus.
    if (event.payload.node === board.nodeId) return;
    listener.invalidate(event.payload.change, event.payload.project ?? undefined);
  });
  return () => {
    set.delete(listener);
    off();
  };
}

export function announceAuthChange(board: Board, change: AuthChange, project?: string): void {
  for (const listener of listeners.get(board) ?? []) listener.invalidate(change, project);
  board.system.events.emit(`${AUTH_CHANGE_TOPIC}.${change}`, { change, project: project ?? null, node: board.nodeId });
}
