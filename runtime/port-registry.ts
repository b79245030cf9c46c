import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from './process-alive.js';

/**
 * A per-user registry of the ports this machine's MagMoBoMini nodes listen on (in the OS temp
 * directory, one file per `<kind>-<port>`), so a node refused a taken port can say which node,
 * with which pid and data directory, holds it. It only improves an error message: nothing
 * depends on it being there.
 */
const portRegistryDir = (): string => join(tmpdir(), `magmobomini-${process.getuid?.() ?? 'user'}`);

export interface PortHolder {
  pid: number;
  nodeId: string;
  dataDir: string;
  port: number;
  /** With pid and nodeId, what tells this run's entry from another's. */
  startedAt: string;
}

const entryPath = (kind: string, port: number): string => join(portRegistryDir(), `${kind}-${port}.json`);

/** Records that this run listens on `port`; the returned function forgets it (only if still this run's). */
export function recordPort(kind: string, holder: PortHolder): () => void {
  const path = entryPath(kind, holder.port);
  try {
    mkdirSync(portRegistryDir(), { recursive: true, mode: 0o700 });
    writeFileSync(path, JSON.stringify(holder, null, 2) + '\n', { mode: 0o600 });
  } catch {
    // A read-only temp directory must not stop a node.
  }
  return () => forgetPort(kind, holder);
}

/** Removes the `kind` entry of the holder's port, only if it is still that run's own. */
export function forgetPort(kind: string, holder: PortHolder): void {
  const path = entryPath(kind, holder.port);
  if (sameRun(read(path), holder)) rmSync(path, { force: true });
}

/** The live node (of this user) that recorded a `kind` listener on `port`, if any (with whatever else it recorded). */
export function portHolder<T extends PortHolder = PortHolder>(kind: string, port: number): T | undefined {
  const found = read(entryPath(kind, port));
  return found && processAlive(found.pid) ? (found as T) : undefined;
}

/** Whether a record is this run's own: the same pid, node and start. */
export function sameRun(found: PortHolder | undefined, own: PortHolder): boolean {
  return found !== undefined && found.pid === own.pid && found.nodeId === own.nodeId && found.startedAt === own.startedAt;
}

function read(path: string): PortHolder | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<PortHolder>;
    return typeof value.pid === 'number' && typeof value.port === 'number' && typeof value.nodeId === 'string' ? (value as PortHolder) : undefined;
  } catch {
    return undefined;
  }
}
