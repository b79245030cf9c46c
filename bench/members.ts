/**
 * Starts bare member processes (bench/cluster-member.ts) and collects their event lines,
 * for the failover benchmark and the cluster tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const beside = fileURLToPath(new URL('./cluster-member.js', import.meta.url));
/** The built member script: beside this module in dist/, or dist/bench/ when this runs from source (vitest). */
export const MEMBER = existsSync(beside) ? beside : resolve('dist/bench/cluster-member.js');

export interface MemberEvent {
  ev: string;
  node: string;
  /** Monotonic ms, comparable across processes on this machine (see monotonicMs). */
  t: number;
  [field: string]: unknown;
}

export interface MemberProcess {
  node: string;
  proc: ChildProcess;
  events: MemberEvent[];
  exited: Promise<number | null>;
  /** Resolves with the first event (seen before or after the call) matching; rejects on exit or after the deadline. */
  next(predicate: (e: MemberEvent) => boolean, message: string, deadlineMs?: number): Promise<MemberEvent>;
  signal(sig: NodeJS.Signals): void;
}

export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** A fresh cluster id, so runs sharing a NATS server never see each other. */
export function clusterId(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** `script`: another member script built beside this one (bench/change-reader.ts). */
export function spawnMember(nats: string, cluster: string, node: string, env: Record<string, string> = {}, script = MEMBER): MemberProcess {
  const proc = spawn(process.execPath, [script], { env: { ...process.env, MOBO_NATS: nats, MOBO_CLUSTER: cluster, MOBO_NODE: node, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: MemberEvent[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    try {
      events.push(JSON.parse(line) as MemberEvent);
    } catch {
      return;
    }
    for (const w of waiters) w();
  });
  const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
  void exited.then(() => {
    for (const w of waiters) w();
  });
  const next = (predicate: (e: MemberEvent) => boolean, message: string, deadlineMs = 30_000): Promise<MemberEvent> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = events.find(predicate);
        if (found) return done(() => resolve(found));
        if (proc.exitCode !== null || proc.signalCode !== null) done(() => reject(new Error(`${node} exited (${proc.exitCode ?? proc.signalCode}) before: ${message}\n${stderr}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`${node}: timed out after ${deadlineMs} ms waiting for: ${message}`))), deadlineMs);
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });
  return { node, proc, events, exited, next, signal: (sig) => void proc.kill(sig) };
}

/** Stops every member still running (SIGCONT first, in case one was left paused). */
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

/** Deletes the KV buckets a cluster made (membership, singletons, the backup schedule's claims). */
export async function dropClusterBuckets(nats: string, cluster: string): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: nats });
  try {
    const jsm = await jetstreamManager(nc);
    for (const bucket of [`mobo_members_${cluster}`, `mobo_singletons_${cluster}`, `mobo_${cluster}_backup`]) await jsm.streams.delete(`KV_${bucket}`).catch(() => undefined);
  } finally {
    await nc.close();
  }
}
