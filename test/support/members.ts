import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { NATS_URL } from './nats.js';
import { waitFor } from './wait.js';

/** The bare member process (bench/cluster-member.ts, built by `npm test`). */
export const MEMBER = resolve('dist/bench/cluster-member.js');

export interface MemberEvent {
  ev: string;
  node: string;
  /** Monotonic ms, comparable across processes on this machine. */
  t: number;
  [field: string]: unknown;
}

export interface MemberProcess {
  node: string;
  proc: ChildProcess;
  events: MemberEvent[];
  exited: Promise<number | null>;
  /** Waits for an event of this process matching the predicate (seen before or after the call). */
  next(predicate: (e: MemberEvent) => boolean, message: string, deadlineMs?: number): Promise<MemberEvent>;
  signal(sig: NodeJS.Signals): void;
}

/** A fresh cluster id, so runs sharing the machine's NATS never see each other. */
export function clusterId(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** Starts one member process of `cluster`; its stdout events are collected as they come. */
export function spawnMember(cluster: string, node: string, env: Record<string, string> = {}): MemberProcess {
  const proc = spawn(process.execPath, [MEMBER], {
    env: { ...process.env, MOBO_NATS: NATS_URL, MOBO_CLUSTER: cluster, MOBO_NODE: node, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: MemberEvent[] = [];
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    try {
      events.push(JSON.parse(line) as MemberEvent);
    } catch {
      // not an event line
    }
  });
  const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
  return {
    node,
    proc,
    events,
    exited,
    next: (predicate, message, deadlineMs = 30_000) =>
      waitFor(() => {
        if (proc.exitCode !== null && !events.some(predicate)) throw new Error(`${node} exited (${proc.exitCode}) before: ${message}\n${stderr}`);
        return events.find(predicate);
      }, `${node}: ${message}`, deadlineMs),
    signal: (sig) => void proc.kill(sig),
  };
}

/** Stops every member still running (SIGCONT first, in case a test left one paused). */
export async function stopMembers(members: readonly MemberProcess[]): Promise<void> {
  await Promise.all(
    members.map(async (m) => {
      if (m.proc.exitCode !== null || m.proc.signalCode !== null) return;
      m.proc.kill('SIGCONT');
      m.proc.kill('SIGTERM');
      const timer = setTimeout(() => m.proc.kill('SIGKILL'), 10_000);
      await m.exited;
      clearTimeout(timer);
    }),
  );
}

/** Deletes the KV buckets a test cluster made on the shared NATS server. */
export async function dropClusterBuckets(cluster: string): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    for (const bucket of [`mobo_members_${cluster}`, `mobo_singletons_${cluster}`]) await jsm.streams.delete(`KV_${bucket}`).catch(() => undefined);
  } finally {
    await nc.close();
  }
}
