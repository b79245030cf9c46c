/**
 * Durable change capture, driver-neutral: a source's log reader (Postgres logical replication,
 * postgres-logical.ts) hands out each committed transaction's changes with a position, and a
 * ChangeRelay carries them to the change feeds that listen. Embedded, the relay is the process
 * itself (DirectRelay: the reader runs here and feeds this node); in a cluster it is
 * cluster/change-relay.ts (one reader in the cluster, a JetStream stream per source, every node
 * consuming it). Either way the reader acknowledges a transaction to the database only once
 * the relay has it, and every consumer drops positions it has already seen: nothing is lost
 * across a reader's restart or failover, nothing delivered twice.
 */
import type { ChangeRelay } from '../runtime/index.js';

export { changePosition, DirectRelay, directRelay, PositionFilter, ReaderLoop } from '../runtime/index.js';
export type { CaptureReader, CapturedChange, ChangeRelay, RelayAttachment } from '../runtime/index.js';

/** How a source's changes are captured: `auto` picks logical replication where the server allows it. */
export type CaptureMode = 'auto' | 'logical' | 'trigger';

/** The path a source actually uses once its feed started. */
export type CapturePath = 'logical' | 'trigger';

/** What `mobo status` shows of one source's change capture. */
export interface CaptureStatus {
  /** The source's capture key (cluster or node, project, source). */
  key: string;
  path: CapturePath;
  /** Why `auto` fell back to triggers (wal_level, privileges, no free slot). */
  reason?: string;
  slot?: string;
  relay?: ChangeRelay['kind'];
  role?: 'holder' | 'follower';
}

const statuses = new Set<() => CaptureStatus>();

/** Registers a running capture for status; the returned function unregisters it. */
export function reportCapture(status: () => CaptureStatus): () => void {
  statuses.add(status);
  return () => void statuses.delete(status);
}

/** Every source of this process whose change feed has started, and how it captures (several nodes in one process: each one's). */
export function captureStats(): CaptureStatus[] {
  return [...statuses.values()].map((s) => s());
}
