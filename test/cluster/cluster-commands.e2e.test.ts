import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNodeFile } from '../../gateway/node-file.js';
import { bootNode, mobo, tempDir, type BootedNode } from '../support/cli.js';
import { NATS_URL } from '../support/nats.js';
import { dropClusterBuckets } from '../support/members.js';

const ADMIN_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface NodeRow {
  node: string;
  state: string;
  http?: string;
}
interface Status {
  node: string;
  mode: string;
  state: string;
  traffic: { state: string };
  singletons: Array<{ name: string; runsHere: boolean; term: number | null }>;
}

/** Polls `check` until it returns a value (not undefined), or fails after the deadline with the last thing seen. */
async function until<T>(what: string, check: () => Promise<T | undefined>, deadlineMs = 60_000): Promise<T> {
  const end = performance.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Three `mobo boot` processes of one cluster (NATS, one Postgres control store), driven by the `mobo cluster:*` commands. */
describe('mobo cluster:* over three node processes', () => {
  const run = randomBytes(4).toString('hex');
  const cluster = `cl_${run}`;
  const db = `mobo_cl_${run}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  const nodes: Array<{ id: string; dir: string; boot: BootedNode }> = [];
  let env: NodeJS.ProcessEnv = {};

  const cli = async <T>(dir: string, ...args: string[]): Promise<T> => {
    const r = await mobo([...args, '--json'], { cwd: dir, env: { MOBO_DATA_DIR: dir } });
    if (r.code !== 0) throw new Error(`mobo ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  const status = (n: { dir: string }) => cli<Status>(n.dir, 'cluster:status');
  const holds = (s: Status) => s.singletons.some((x) => x.name === 'backup-scheduler' && x.runsHere);
  const alive = () => nodes.filter((n) => n.boot.proc.exitCode === null && n.boot.proc.signalCode === null);
  /** The one live node running the backup scheduler, once exactly one does. */
  const schedulerHolder = () =>
    until('exactly one node running backup-scheduler', async () => {
      const live = alive();
      const statuses = await Promise.all(live.map(status));
      const holders = live.filter((_, i) => holds(statuses[i]!));
      return holders.length === 1 ? holders[0] : undefined;
    });
  const seesStates = (from: { dir: string }, want: Record<string, string>) =>
    until(`${JSON.stringify(want)} seen from ${from.dir}`, async () => {
      const rows = await cli<NodeRow[]>(from.dir, 'cluster:nodes');
      const states = Object.fromEntries(rows.map((r) => [r.node, r.state]));
      return Object.entries(want).every(([node, state]) => states[node] === state) ? rows : undefined;
    });

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`create database ${db}`);
    const control = new URL(ADMIN_URL);
    control.pathname = `/${db}`;
    env = {
      MOBO_TRANSPORT__KIND: 'nats',
      MOBO_NATS_URL: NATS_URL,
      MOBO_TRANSPORT__CLUSTER: cluster,
      MOBO_CONTROL__KIND: 'postgres',
      MOBO_CONTROL__URL: control.toString(),
      MOBO_SECRETS__KEY: randomBytes(32).toString('base64'),
      MOBO_HEALTH__INTERVAL_MS: '0',
    };
    for (let i = 0; i < 3; i++) {
      const dir = tempDir(`mobo-cl-${i}-`);
      const id = `n${i}-${run}`;
      nodes.push({ id, dir, boot: bootNode({ cwd: dir, env: { ...env, MOBO_DATA_DIR: dir, MOBO_NODE_ID: id } }) });
    }
    await Promise.all(nodes.map((n) => n.boot.ready));
  }, 180_000);

  afterAll(async () => {
    for (const n of alive()) {
      n.boot.proc.kill('SIGTERM');
      await n.boot.exited;
    }
    await dropClusterBuckets(cluster);
    await admin.query(`drop database if exists ${db} with (force)`).catch(() => undefined);
    await admin.end();
  }, 60_000);

  it('lists every node up, fails the backup scheduler over after kill -9, drains one node and lets the last leave', async () => {
    const allUp = Object.fromEntries(nodes.map((n) => [n.id, 'up']));
    for (const n of nodes) await seesStates(n, allUp);
    const rows = await cli<NodeRow[]>(nodes[0]!.dir, 'cluster:nodes');
    expect(rows.map((r) => r.node)).toEqual(nodes.map((n) => n.id).sort());
    for (const r of rows) expect(r.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await status(nodes[0]!)).mode).toBe('cluster');

    // kill -9 of the node running the singleton: the others see it down, and one of them runs it.
    const first = (await schedulerHolder())!;
    first.boot.proc.kill('SIGKILL');
    await first.boot.exited;
    const survivors = nodes.filter((n) => n !== first);
    for (const n of survivors) await seesStates(n, { [first.id]: 'down' });
    const second = (await schedulerHolder())!;
    expect(second).not.toBe(first);

    // Drain the new holder, keeping its process up to look at it: health says draining, new work is refused, the singleton moved.
    const last = survivors.find((n) => n !== second)!;
    const report = await cli<{ node: string; handedOver: string[]; inFlightLeft: number; shutdown: boolean }>(second.dir, 'cluster:drain', '--grace-ms=0', '--stay');
    expect(report).toMatchObject({ node: second.id, handedOver: ['backup-scheduler'], inFlightLeft: 0, shutdown: false });
    const url = `http://127.0.0.1:${readNodeFile(second.dir)!.port}`;
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'draining', traffic: 'drained' });
    const refused = await fetch(`${url}/.well-known/jwks.json`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('NODE_DRAINING');
    await seesStates(last, { [second.id]: 'down' });
    expect(await schedulerHolder()).toBe(last);
    expect((await status(last)).singletons.find((s) => s.name === 'backup-scheduler')!.term).toBeGreaterThanOrEqual(3);

    // Bad input names the field.
    const bad = await mobo(['cluster:drain', '--grace-ms=soon'], { cwd: last.dir, env: { MOBO_DATA_DIR: last.dir } });
    expect(bad.code).toBe(2);
    expect(bad.stderr + bad.stdout).toContain('--grace-ms');

    second.boot.proc.kill('SIGTERM');
    expect(await second.boot.exited).toBe(0);

    // The last node leaves: it hands over (to no one), leaves the membership and exits cleanly.
    const left = await cli<{ handedOver: string[]; shutdown: boolean }>(last.dir, 'cluster:leave');
    expect(left).toMatchObject({ handedOver: ['backup-scheduler'], shutdown: true });
    expect(await last.boot.exited).toBe(0);
  }, 240_000);
});

describe('mobo cluster:* on an embedded node', () => {
  it('shows a cluster of one', async () => {
    const dir = tempDir('mobo-solo-');
    const boot = bootNode({ cwd: dir, env: { MOBO_DATA_DIR: dir } });
    try {
      await boot.ready;
      const r = await mobo(['cluster:nodes', '--json'], { cwd: dir, env: { MOBO_DATA_DIR: dir } });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject([{ node: 'node1', state: 'up' }]);
      const s = await mobo(['cluster:status'], { cwd: dir, env: { MOBO_DATA_DIR: dir } });
      expect(s.stdout).toMatch(/^node1 · embedded · cluster embedded · up · traffic serving/);
    } finally {
      boot.proc.kill('SIGTERM');
      await boot.exited;
    }
  }, 120_000);
});
