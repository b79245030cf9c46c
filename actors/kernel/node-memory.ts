import type { ComponentStatus } from './tree-view.js';
import type { StateData } from './state-file.js';

/** How a run of the node ended: asked to stop, the root supervisor gave up, or it never said (killed, crashed, power loss). */
export type RunEnd = { kind: 'shutdown' | 'fatal'; at: string; reason: string } | { kind: 'crashed'; at: string; reason: string };

export interface Run {
  node: string;
  pid: number;
  startedAt: string;
  readyAt?: string;
  end?: RunEnd;
  /** The components as last seen during this run (state and health), and when. */
  components?: ComponentStatus[];
  seenAt?: string;
}

/** What the node remembers across restarts, under one key of its state file. */
export interface NodeMemory {
  /** Newest last; the last is the current run while the node is up. */
  runs: Run[];
}

export const MEMORY_KEY = 'node.memory';
const KEEP_RUNS = 20;

export function readMemory(data: StateData): NodeMemory {
  const memory = data[MEMORY_KEY] as Partial<NodeMemory> | undefined;
  return { runs: Array.isArray(memory?.runs) ? memory.runs : [] };
}

/** A new run begins: a previous run that never recorded its end crashed (as of when it was last seen). */
export function beginRun(memory: NodeMemory, run: Run): NodeMemory {
  const runs = memory.runs.map((r, i) =>
    i === memory.runs.length - 1 && !r.end ? { ...r, end: { kind: 'crashed' as const, at: r.seenAt ?? r.readyAt ?? r.startedAt, reason: 'the node stopped without a clean shutdown' } } : r,
  );
  return { runs: [...runs, run].slice(-KEEP_RUNS) };
}

export function updateRun(memory: NodeMemory, patch: Partial<Run>): NodeMemory {
  const last = memory.runs.at(-1);
  if (!last) return memory;
  return { runs: [...memory.runs.slice(0, -1), { ...last, ...patch }] };
}

/** The run before the current one (what `mobo status` shows after a crash). */
export function previousRun(memory: NodeMemory, current = true): Run | undefined {
  return memory.runs.at(current ? -2 : -1);
}
