import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** How a CLI finds the running node of a data directory: `<dataDir>/node.json`. */
export interface NodeFile {
  pid: number;
  nodeId: string;
  host: string;
  port: number;
  startedAt: string;
}

const path = (dataDir: string): string => join(dataDir, 'node.json');

export function writeNodeFile(dataDir: string, info: NodeFile): void {
  writeFileSync(path(dataDir), JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
}

export function readNodeFile(dataDir: string): NodeFile | undefined {
  try {
    return JSON.parse(readFileSync(path(dataDir), 'utf8')) as NodeFile;
  } catch {
    return undefined;
  }
}

export function removeNodeFile(dataDir: string, pid: number): void {
  if (readNodeFile(dataDir)?.pid === pid) rmSync(path(dataDir), { force: true });
}
