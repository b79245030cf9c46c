import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { MoboError } from '../../runtime/index.js';

export type StateData = Record<string, unknown>;

export interface StateLoad {
  data: StateData;
  /** Where a corrupt file was moved, if it was. */
  setAside?: string;
}

/**
 * A JSON state file written atomically: a temp file is written and fsynced, then
 * renamed over the old one, so a crash leaves either the old state or the new, never half.
 */
export class StateFile {
  constructor(readonly path: string) {}

  /** Reads the state; a corrupt file is renamed aside (never a crash loop) and state starts empty. */
  load(now: number = Date.now()): StateLoad {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { data: {} };
      throw new MoboError('STATE_CORRUPT', 'The state file could not be read', { details: { path: this.path }, cause: err });
    }
    try {
      const data: unknown = JSON.parse(text);
      if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error('state is not an object');
      return { data: data as StateData };
    } catch {
      const setAside = `${this.path}.corrupt-${now}`;
      renameSync(this.path, setAside);
      return { data: {}, setAside };
    }
  }

  /** Reads the state without touching the file (a reader beside the node, like `mobo status`): empty if missing or unreadable. */
  peek(): StateData {
    try {
      const data: unknown = JSON.parse(readFileSync(this.path, 'utf8'));
      return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as StateData) : {};
    } catch {
      return {};
    }
  }

  save(data: StateData): void {
    const tmp = `${this.path}.tmp-${process.pid}`;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, JSON.stringify(data));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
    } catch (err) {
      throw new MoboError('STATE_WRITE_FAILED', undefined, { details: { path: this.path }, cause: err });
    }
  }
}
