import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoboError, processAlive } from '../../runtime/index.js';

/**
 * One running node per data directory: `<dataDir>/node.lock` holds the pid of the node that
 * uses it, created in one step (link(2) fails if it exists) as the node boots and removed as it stops. A lock whose
 * process is gone (killed with -9, a crash) is stale and taken over; a live one refuses the boot
 * with DATA_DIR_IN_USE naming its pid. The port does not matter: two nodes on one data directory
 * would share its control store, keys and backups whatever ports they listen on.
 *
 * Known limit: a pid reused by an unrelated process after a crash keeps the lock looking live
 * until that process ends (the message names the pid, so an operator can check and remove it).
 */
export interface DataDirLock {
  release(): void;
}

interface LockRecord {
  pid: number;
  nodeId: string;
  startedAt: string;
}

const LOCK_FILE = 'node.lock';
/** Locks held by this process, so a second node in the same process is refused too. */
const heldHere = new Set<string>();

export function lockDataDir(dataDir: string, nodeId: string): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  const own: LockRecord = { pid: process.pid, nodeId, startedAt: new Date().toISOString() };
  const text = JSON.stringify(own) + '\n';
  // Two tries: the second after removing a stale lock (another booting node may win that race; it then holds the lock).
  for (let attempt = 0; attempt < 2; attempt++) {
    if (create(path, text)) {
      heldHere.add(path);
      return { release: () => release(path, own) };
    }
    const holder = read(path);
    if (holder && holderAlive(path, holder)) {
      throw new MoboError('DATA_DIR_IN_USE', `The data directory ${dataDir} is in use by node ${holder.nodeId} (pid ${holder.pid}, since ${holder.startedAt}); stop that node first, or give this one its own data directory (MOBO_DATA_DIR)`, {
        details: { dataDir, holder: { node: holder.nodeId, pid: holder.pid, since: holder.startedAt } },
      });
    }
    // Stale (its process is gone) or unreadable (not written by a node): take it over.
    rmSync(path, { force: true });
  }
  throw new MoboError('DATA_DIR_IN_USE', `The data directory ${dataDir} was locked by another node booting at the same moment`, { details: { dataDir } });
}

/** Creates the lock with its whole content in one step (a hard link of a written file): never seen half-written. */
function create(path: string, text: string): boolean {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  try {
    linkSync(temp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Removes the lock only if it is still this run's own. */
function release(path: string, own: LockRecord): void {
  heldHere.delete(path);
  const current = read(path);
  if (current && current.pid === own.pid && current.startedAt === own.startedAt) rmSync(path, { force: true });
}

function holderAlive(path: string, holder: LockRecord): boolean {
  // This process's own pid: live only if a node of this process still holds it (else a previous run of a reused pid).
  if (holder.pid === process.pid) return heldHere.has(path);
  return processAlive(holder.pid);
}

function read(path: string): LockRecord | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockRecord>;
    return typeof value.pid === 'number' && typeof value.nodeId === 'string' && typeof value.startedAt === 'string' ? (value as LockRecord) : undefined;
  } catch {
    return undefined;
  }
}
