/**
 * The Jepsen-style chaos run: three `mobo boot` nodes behind HAProxy on the run's own
 * three-server NATS cluster (JetStream replicas 3), Postgres as the system of record; writers,
 * readers and realtime subscribers through HAProxy while the nemesis kills actors, kill -9s and
 * restarts nodes, pauses nodes and kills NATS servers; then the checker and the report.
 *
 *   node dist/bench/chaos/run.js [--seconds 60] [--seed N] [--out DIR] [--capture logical|trigger]
 *        [--writers 4] [--readers 2] [--subscribers 3] [--min-availability 0.995] [--op-deadline-ms 30000]
 *        [--faults kill-node,pause-node,kill-nats,kill-actor]
 *
 * Exit code 0 when the checker passes, 1 when it does not, 2 when the run could not be set up.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startHaproxyCluster } from '../cluster-haproxy.js';
import { describeLoad, describeMachine } from '../machine.js';
import { check, type CheckResult, type RealtimePromise } from './checker.js';
import type { History, NemesisAction } from './history.js';
import { startNatsCluster } from './nats-cluster.js';
import { DEFAULT_WEIGHTS, startNemesis } from './nemesis.js';
import { writeReport } from './report.js';
import { prepareChaosData, type ChaosData } from './setup.js';
import { waitUntil } from './wait.js';
import { startWorkload } from './workload.js';

export type Capture = 'trigger' | 'logical';

export interface ChaosOptions {
  seconds: number;
  seed: number;
  out: string;
  capture: Capture;
  writers: number;
  readers: number;
  subscribers: number;
  minAvailability: number;
  /** A client operation's deadline over all its retries (workload.ts `opDeadlineMs`). */
  opDeadlineMs: number;
  weights: Record<NemesisAction, number>;
  pgAdminUrl: string;
  /** Progress lines (one per fault); default quiet. */
  log?: (line: string) => void;
  /** Resolves to end the chaos early (Ctrl-C); the run still heals, checks and reports. */
  interrupted?: Promise<void>;
}

export interface ChaosRun {
  result: CheckResult;
  history: History;
  markdown: string;
  out: string;
}

/** What each capture promises subscribers (checker.ts). */
const PROMISE: Record<Capture, RealtimePromise> = { trigger: 'at-most-once', logical: 'exactly-once' };

export function defaultChaosOptions(over: Partial<ChaosOptions> = {}): ChaosOptions {
  return {
    seconds: 60,
    seed: Date.now() % 1_000_000,
    out: join(tmpdir(), `mobo-chaos-${new Date().toISOString().replace(/[:.]/g, '-')}`),
    capture: 'logical',
    writers: 4,
    readers: 2,
    subscribers: 3,
    minAvailability: 0.995,
    opDeadlineMs: 30_000,
    weights: DEFAULT_WEIGHTS,
    pgAdminUrl: process.env['PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
    ...over,
  };
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosRun> {
  const log = opts.log ?? (() => undefined);
  const startLoad = describeLoad();
  const nats = await startNatsCluster({ name: `chaos_${randomBytes(3).toString('hex')}` });
  // Everything started below is stopped in reverse in `finally`, whatever failed.
  // The data database goes after the nodes (a node's logical capture holds a replication slot in it).
  let data: ChaosData | undefined;
  const cleanup: Array<() => Promise<void>> = [() => nats.stop(), async () => await data?.drop()];
  try {
    log(`NATS cluster ${nats.url}`);
    const lb = await startHaproxyCluster({
      nodes: 3,
      nats: nats.url,
      pgAdminUrl: opts.pgAdminUrl,
      env: {
        MOBO_TRANSPORT__REPLICAS: '3',
        MOBO_DS__CHANGES: opts.capture,
        // As the HAProxy test: no periodic component health checks, whose timeouts on a loaded box
        // would take healthy nodes out of HAProxy; crashes still restart by supervision.
        MOBO_HEALTH__INTERVAL_MS: '0',
        // Every client of the run reaches the nodes from one address (HAProxy's) with one key: the
        // run measures faults, not MagGate's limiter (defaults 50/s per IP, 100/s per key).
        MOBO_RATE_LIMITS__PER_IP__RPS: '100000',
        MOBO_RATE_LIMITS__PER_IP__BURST: '100000',
        MOBO_RATE_LIMITS__PER_KEY__RPS: '100000',
        MOBO_RATE_LIMITS__PER_KEY__BURST: '100000',
      },
    });
    cleanup.push(() => lb.stop());
    log(`HAProxy ${lb.url} → ${lb.nodes.map((n) => `${n.id} ${n.url}`).join(', ')}`);
    data = await prepareChaosData(lb, opts.pgAdminUrl);

    const t0 = performance.now();
    const now = (): number => performance.now() - t0;
    const settings = { writers: opts.writers, readers: opts.readers, subscribers: opts.subscribers, writeEveryMs: 25, readEveryMs: 100, attemptTimeoutMs: 3_000, opDeadlineMs: opts.opDeadlineMs, drainMs: 10_000 };
    const workload = startWorkload({ url: lb.url, nodes: lb.nodes, data, ...settings, now });
    cleanup.push(() => workload.stop());
    let subscribed = false;
    void workload.ready.then(() => (subscribed = true));
    await waitUntil(() => subscribed, 'every subscriber to be subscribed', 60_000);
    log('workload running, subscribers subscribed');
    const nemesis = startNemesis(lb, nats, { seed: opts.seed, weights: opts.weights, gapMs: [1_000, 3_000], outageMs: [500, 3_000], now, onEvent: (e) => log(`${(e.start / 1000).toFixed(1)}s ${e.action} ${e.target} (${Math.round(e.end - e.start)} ms)${e.error ? ` ERROR ${e.error}` : ''}`) });
    cleanup.push(() => nemesis.stop());

    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((r) => (timer = setTimeout(r, opts.seconds * 1000))), opts.interrupted ?? new Promise(() => undefined)]);
    clearTimeout(timer);
    await nemesis.stop();
    await workload.stop();
    const history: History = { durationMs: now(), writes: workload.writes, reads: workload.reads, subscribers: workload.subscribers, nemesis: nemesis.events };
    const result = check(history, await data.rows(), { realtime: PROMISE[opts.capture], minAvailability: opts.minAvailability, deliveryGraceMs: 1_000 });
    const machine = `${describeMachine()}; ${startLoad} at the start, ${describeLoad()} at the end`;
    const { markdown } = writeReport(opts.out, { seed: opts.seed, seconds: opts.seconds, capture: opts.capture, machine, settings: { ...settings, minAvailability: opts.minAvailability } }, history, result);
    return { result, history, markdown, out: opts.out };
  } finally {
    for (const step of cleanup.reverse()) await step().catch((err: unknown) => log(`cleanup: ${String(err)}`));
  }
}

function cliOptions(argv: string[]): ChaosOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      capture: { type: 'string' },
      writers: { type: 'string' },
      readers: { type: 'string' },
      subscribers: { type: 'string' },
      'min-availability': { type: 'string' },
      'op-deadline-ms': { type: 'string' },
      faults: { type: 'string' },
    },
  });
  const num = (v: string | undefined, name: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number (got ${v})`);
    return n;
  };
  const capture = values.capture ?? 'logical';
  if (capture !== 'trigger' && capture !== 'logical') throw new Error(`--capture is trigger or logical (got ${capture})`);
  const given: Partial<ChaosOptions> = { capture };
  const set = <K extends keyof ChaosOptions>(key: K, value: ChaosOptions[K] | undefined): void => {
    if (value !== undefined) given[key] = value;
  };
  set('seconds', num(values.seconds, 'seconds'));
  set('seed', num(values.seed, 'seed'));
  set('out', values.out === undefined ? undefined : resolve(values.out));
  set('writers', num(values.writers, 'writers'));
  set('readers', num(values.readers, 'readers'));
  set('subscribers', num(values.subscribers, 'subscribers'));
  set('minAvailability', num(values['min-availability'], 'min-availability'));
  set('opDeadlineMs', num(values['op-deadline-ms'], 'op-deadline-ms'));
  if (values.faults !== undefined) {
    const kinds = values.faults.split(',').map((f) => f.trim());
    const unknown = kinds.filter((k) => !(k in DEFAULT_WEIGHTS));
    if (unknown.length) throw new Error(`--faults takes ${Object.keys(DEFAULT_WEIGHTS).join(', ')} (got ${unknown.join(', ')})`);
    given.weights = Object.fromEntries(Object.entries(DEFAULT_WEIGHTS).map(([k, w]) => [k, kinds.includes(k) ? w : 0])) as Record<NemesisAction, number>;
  }
  return defaultChaosOptions(given);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let opts: ChaosOptions;
  try {
    opts = cliOptions(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  let interrupt: () => void = () => undefined;
  const interrupted = new Promise<void>((r) => (interrupt = r));
  process.once('SIGINT', () => interrupt());
  process.once('SIGTERM', () => interrupt());
  const stamp = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  stamp(`chaos run: ${opts.seconds} s, seed ${opts.seed}, capture ${opts.capture}, report in ${opts.out}`);
  try {
    const run = await runChaos({ ...opts, log: stamp, interrupted });
    console.log(run.markdown);
    process.exit(run.result.valid ? 0 : 1);
  } catch (err) {
    console.error(err);
    process.exit(2);
  }
}
