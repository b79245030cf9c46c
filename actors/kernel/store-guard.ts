import { statSync } from 'node:fs';
import { sqliteFile, type Adapter, type SourceConfig } from '../../adapters/index.js';
import { newStoreExpected, runState } from './data-dir.js';
import { isMoboError, MoboError } from '../../runtime/index.js';

/**
 * The control store refuses to be silently new: a missing, empty or damaged store in a data
 * directory where a node has run before (runState) fails the POST, instead of booting as a
 * fresh install that has lost every project, user and key. A store made new on purpose
 * (`mobo init --force`) or a fresh data directory boots as before.
 */
export async function checkBeforeOpen(adapter: Adapter, source: SourceConfig, dataDir: string): Promise<RunBefore> {
  // Read before the store is opened: opening it makes a WAL, which is itself a sign of a run.
  const before: RunBefore = { dataDir, found: newStoreExpected(dataDir) ? [] : runState(dataDir) };
  const file = source.kind === 'sqlite' ? sqliteFile(source.url) : undefined;
  if (file !== undefined && file !== '' && file !== ':memory:') {
    const size = fileSize(file);
    if (size === undefined || size === 0) {
      refuseIfRunBefore(before, size === undefined ? `${file} is missing` : `${file} is empty (0 bytes)`);
      return before;
    }
  }
  const problems = await adapter.integrity();
  if (problems.length > 0) throw corrupt(problems, where(source));
  return before;
}

/** What in the data directory showed a node had run there, read before the store was opened. */
export interface RunBefore {
  dataDir: string;
  /** Empty for a fresh install, or a store made new on purpose. */
  found: string[];
}

/** After open: a store without any MagMoBoMini table (emptied, or another database) counts as missing. */
export async function checkAfterOpen(adapter: Adapter, source: SourceConfig, before: RunBefore): Promise<void> {
  // A store that cannot be reached yet (Postgres restarting) is not judged: the actor serves DS_UNAVAILABLE and reconnects.
  const tables = await adapter.introspect(true).then(
    (schema) => schema.tables,
    (err: unknown) => {
      if (isMoboError(err, 'DS_UNAVAILABLE')) return undefined;
      throw err;
    },
  );
  if (tables === undefined) return;
  if (tables.some((t) => t.name.startsWith('mobo_'))) return;
  refuseIfRunBefore(before, `${where(source)} has no MagMoBoMini tables`);
}

/** What to do, in the words of the commands (the node cannot boot, so recovery goes through a new store). */
export const RECOVERY =
  'To recover: `mobo init --force` sets the control store aside (backups and keys stay), `mobo boot`, then `mobo backup:restore <id> --force` with a backup from <dataDir>/backups; to start over, stop after `mobo init --force`';

export function corrupt(problems: string[], at: string): MoboError {
  return new MoboError(
    'CONTROL_STORE_CORRUPT',
    `The control store (${at}) failed its integrity check: ${problems.slice(0, 3).join('; ')}. ${RECOVERY}`,
    { details: { store: at, problems: problems.slice(0, 10) } },
  );
}

function refuseIfRunBefore({ dataDir, found }: RunBefore, what: string): void {
  if (found.length === 0) return;
  throw new MoboError(
    'CONTROL_STORE_MISSING',
    `The control store is gone (${what}) but ${dataDir} holds a node's state (${found.join(', ')}): booting would start an empty system. ${RECOVERY}`,
    { details: { dataDir, problem: what, found } },
  );
}

/** The store as a place, never its credentials: a file path, or a database URL's host and name. */
function where(source: SourceConfig): string {
  if (source.kind === 'sqlite') return sqliteFile(source.url);
  try {
    const url = new URL(source.url);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return source.kind;
  }
}

function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
