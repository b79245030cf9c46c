import { chmodSync, existsSync, lstatSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The data directory as a whole: what in it shows a node has run here before, and its
 * permissions (the directory and every directory below 0700, every file 0600: it holds the
 * secret key, the admin token, the control store and unencrypted backups).
 */

/**
 * Files a node writes only once it has run (the admin token is not one: `mobo init` writes
 * it before the first boot). Their presence beside a missing or empty control store means
 * the store was lost, not that this is a fresh install.
 */
const RUN_STATE = ['secret.key', 'state.json', 'control.db-wal', 'backups'];

/** Written by `mobo init --force`: the next boot starts a new control store on purpose. */
export const NEW_STORE_MARKER = 'control.new';

/** What in the data directory shows that a node ran here (empty: a fresh install). */
export function runState(dataDir: string): string[] {
  return RUN_STATE.filter((name) => {
    const path = join(dataDir, name);
    if (name !== 'backups') return existsSync(path);
    try {
      return readdirSync(path).length > 0;
    } catch {
      return false;
    }
  });
}

export function newStoreExpected(dataDir: string): boolean {
  return existsSync(join(dataDir, NEW_STORE_MARKER));
}

export function expectNewStore(dataDir: string): void {
  writeFileSync(join(dataDir, NEW_STORE_MARKER), `written by mobo init --force at ${new Date().toISOString()}\n`, { mode: 0o600 });
}

export function clearNewStoreMarker(dataDir: string): void {
  rmSync(join(dataDir, NEW_STORE_MARKER), { force: true });
}

/** Sets the directory tree to owner-only modes; returns what could not be changed. Symlinks are left alone. */
export function tightenDataDir(dataDir: string): string[] {
  const failed: string[] = [];
  const visit = (path: string): void => {
    try {
      const stat = lstatSync(path);
      if (stat.isDirectory()) {
        if ((stat.mode & 0o777) !== 0o700) chmodSync(path, 0o700);
        for (const name of readdirSync(path)) visit(join(path, name));
      } else if (stat.isFile() && (stat.mode & 0o777) !== 0o600) {
        chmodSync(path, 0o600);
      }
    } catch (err) {
      // A file may vanish while we walk (a WAL checkpointed away); anything else is reported.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') failed.push(path);
    }
  };
  visit(dataDir);
  return failed;
}
