import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { forgetPort, portHolder, processAlive as alive, recordPort, sameRun } from '../runtime/index.js';

/**
 * How a CLI finds the running node of a data directory: `<dataDir>/node.json`. The same
 * record also goes to a per-user registry keyed by port (in the OS temp directory), so a
 * node refused a taken port can say which node, in which data directory, holds it.
 */
export interface NodeFile {
  pid: number;
  nodeId: string;
  host: string;
  port: number;
  /** With pid and nodeId, the token that tells this run's file from another's. */
  startedAt: string;
  dataDir: string;
}

const inDataDir = (dataDir: string): string => join(dataDir, 'node.json');

export function writeNodeFile(info: NodeFile): void {
  writeFileSync(inDataDir(info.dataDir), JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  recordPort('http', info);
}

export function readNodeFile(dataDir: string): NodeFile | undefined {
  return readJson(inDataDir(dataDir));
}

/** Removes node.json and the registry entry, each only if it is still this run's own. */
export function removeNodeFile(own: NodeFile): void {
  if (sameRun(readNodeFile(own.dataDir), own)) rmSync(inDataDir(own.dataDir), { force: true });
  forgetPort('http', own);
}

/** The node recorded in the data directory's node.json, if its process is alive. */
export function runningNode(dataDir: string): NodeFile | undefined {
  const file = readNodeFile(dataDir);
  return file && alive(file.pid) ? file : undefined;
}

/** The live MagMoBoMini node (of this user) that recorded it listens on `port`, if any. */
export function nodeOnPort(port: number, dataDir: string): NodeFile | undefined {
  const own = runningNode(dataDir);
  return portHolder<NodeFile>('http', port) ?? (own?.port === port ? own : undefined);
}

function readJson(path: string): NodeFile | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<NodeFile>;
    return typeof value.pid === 'number' && typeof value.port === 'number' ? (value as NodeFile) : undefined;
  } catch {
    return undefined;
  }
}
