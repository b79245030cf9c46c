import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { portRegistryDir as registryDir, processAlive as alive } from '../runtime/index.js';

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
const inRegistry = (port: number): string => join(registryDir(), `http-${port}.json`);

export function writeNodeFile(info: NodeFile): void {
  const text = JSON.stringify(info, null, 2) + '\n';
  writeFileSync(inDataDir(info.dataDir), text, { mode: 0o600 });
  try {
    mkdirSync(registryDir(), { recursive: true, mode: 0o700 });
    writeFileSync(inRegistry(info.port), text, { mode: 0o600 });
  } catch {
    // The registry only improves an error message; a read-only temp dir must not stop a node.
  }
}

export function readNodeFile(dataDir: string): NodeFile | undefined {
  return readJson(inDataDir(dataDir));
}

/** Removes node.json and the registry entry, each only if it is still this run's own. */
export function removeNodeFile(own: NodeFile): void {
  for (const path of [inDataDir(own.dataDir), inRegistry(own.port)]) {
    if (sameRun(readJson(path), own)) rmSync(path, { force: true });
  }
}

/** The node recorded in the data directory's node.json, if its process is alive. */
export function runningNode(dataDir: string): NodeFile | undefined {
  const file = readNodeFile(dataDir);
  return file && alive(file.pid) ? file : undefined;
}

/** The live MagMoBoMini node (of this user) that recorded it listens on `port`, if any. */
export function nodeOnPort(port: number, dataDir: string): NodeFile | undefined {
  return [readJson(inRegistry(port)), readNodeFile(dataDir)].find((f) => f !== undefined && f.port === port && alive(f.pid));
}

function sameRun(file: NodeFile | undefined, own: NodeFile): boolean {
  return file !== undefined && file.pid === own.pid && file.nodeId === own.nodeId && file.startedAt === own.startedAt;
}

function readJson(path: string): NodeFile | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<NodeFile>;
    return typeof value.pid === 'number' && typeof value.port === 'number' ? (value as NodeFile) : undefined;
  } catch {
    return undefined;
  }
}
