import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { expectNewStore } from './data-dir.js';

/** What `mobo init --force` moves aside: the control store (with its WAL) and the node state. */
const REPLACED = ['control.db', 'control.db-wal', 'control.db-shm', 'state.json'];

export interface StartOver {
  /** Where the old files went (undefined when there was nothing to move). */
  setAside: string | undefined;
  moved: string[];
}

/**
 * Starts a data directory over without deleting anything: the old control store and state
 * go to `<dataDir>/replaced-<time>/`, and the next boot makes a new control store on purpose.
 * Backups, the secret key (old archives' source credentials are sealed with it) and the admin
 * token stay, so `mobo backup:restore <id> --force` can bring the old data back.
 * `controlFile` is the SQLite file of the control store (undefined for Postgres, which is
 * left alone: a store without MagMoBoMini tables is then made new on the next boot).
 */
export function startOver(dataDir: string, controlFile: string | undefined, now = new Date()): StartOver {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const setAside = join(dataDir, `replaced-${now.toISOString().replace(/[:.]/g, '-')}`);
  const files = REPLACED.map((name) => join(dataDir, name));
  if (controlFile !== undefined && !files.includes(controlFile)) files.unshift(controlFile, `${controlFile}-wal`, `${controlFile}-shm`);
  const present = files.filter((path) => existsSync(path));
  if (present.length > 0) mkdirSync(setAside, { mode: 0o700 });
  for (const path of present) renameSync(path, join(setAside, basename(path)));
  expectNewStore(dataDir);
  return { setAside: present.length > 0 ? setAside : undefined, moved: present.map((path) => basename(path)) };
}
