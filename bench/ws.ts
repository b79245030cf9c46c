/**
 * MagWS next to Soketi 1.6.1 in the same run, each server in its own process on
 * 127.0.0.1, driven by the same client fleet: connections held, publish → client latency,
 * fan-out deliveries/s, and (MagMoBoMini only: Soketi has no database) table change →
 * client latency with every connection subscribed. Every phase is bounded in time and count.
 * Reproduce: `npm run build && node dist/bench/ws.js` (WS_BENCH_CONNECTIONS to change N).
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { signChannel } from '../gateway/realtime/signatures.js';
import { describeLoad, describeMachine } from './machine.js';
import { fmtMs, fmtRate, fmtSummary, summarize, type Summary } from './stats.js';
import { Fleet, publish } from './ws-fleet.js';
import { rssMb, startMobo, startSoketi, type BenchServer } from './ws-servers.js';

const CONNECTIONS = Number(process.env.WS_BENCH_CONNECTIONS ?? 10_000);
/** Latency is also measured at this many subscribers, where one client process is not the bottleneck. */
const SMALL = Math.min(1_000, CONNECTIONS);
const LATENCY_EVENTS = 40;
const FANOUT_EVENTS = 40;
const FANOUT_IN_FLIGHT = 8;
const DB_EVENTS = 40;
const EVENT_DEADLINE_MS = 15_000;
const DB_GOAL_P99_MS = 50;

interface Result {
  server: string;
  held: number;
  openSeconds: number;
  subscribed: number;
  rssMb: number;
  latencySmall: Summary;
  latency: Summary;
  fanoutPerSec: number;
  fanoutDelivered: number;
  db?: Summary;
}

/** Counts receipts of the current round; resolves when every subscriber has one, or at the deadline. */
class Rounds {
  private remaining = 0;
  private done: (() => void) | undefined;
  receipt(): void {
    if (--this.remaining === 0) this.done?.();
  }
  start(expected: number): Promise<void> {
    this.remaining = expected;
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, EVENT_DEADLINE_MS);
      this.done = () => (clearTimeout(timer), resolve());
    });
  }
}

async function measure(server: BenchServer): Promise<Result> {
  const fleet = new Fleet(server.port, server.app.key);
  const t0 = performance.now();
  const held = await fleet.open(CONNECTIONS, 100, 120_000);
  const openSeconds = (performance.now() - t0) / 1000;
  const subscribed = await fleet.subscribe('bench', 60_000);

  const rounds = new Rounds();
  const latency = async (channel: string, expected: number): Promise<Summary> => {
    const samples: number[] = [];
    fleet.on(`tick-${channel}`, (data, at) => {
      samples.push(at - (JSON.parse(data) as { t: number }).t);
      rounds.receipt();
    });
    for (let i = 0; i < LATENCY_EVENTS; i++) {
      const all = rounds.start(expected);
      await publish(server.port, server.app, channel, `tick-${channel}`, JSON.stringify({ t: performance.now() }));
      await all;
    }
    return summarize(samples);
  };
  const small = await fleet.subscribe('small', 60_000, undefined, SMALL);
  const latencySmall = await latency('small', small);
  const latencyAll = await latency('bench', subscribed);

  let delivered = 0;
  let last = 0;
  const fanoutDone = rounds.start(subscribed * FANOUT_EVENTS);
  fleet.on('burst', (_data, at) => {
    delivered++;
    last = at;
    rounds.receipt();
  });
  const f0 = performance.now();
  let sent = 0;
  await Promise.all(
    Array.from({ length: FANOUT_IN_FLIGHT }, async () => {
      while (sent < FANOUT_EVENTS) {
        sent++;
        await publish(server.port, server.app, 'bench', 'burst', '{"x":1}');
      }
    }),
  );
  await fanoutDone;
  const fanoutPerSec = delivered / ((last - f0) / 1000);

  let db: Summary | undefined;
  if (server.insert) {
    const channel = 'private-db-main.items';
    const dbSubscribed = await fleet.subscribe(channel, 60_000, (socketId) => ({ auth: signChannel(server.app, socketId, channel, '{}'), channel_data: '{}' }));
    const dbLatencies: number[] = [];
    fleet.on('INSERT', (data, at) => {
      dbLatencies.push(at - (JSON.parse(data) as { row: { t: number } }).row.t);
      rounds.receipt();
    });
    for (let i = 0; i < DB_EVENTS; i++) {
      const all = rounds.start(dbSubscribed);
      await server.insert({ id: i + 1, t: performance.now() });
      await all;
    }
    db = summarize(dbLatencies);
  }
  const rss = rssMb(server.proc);
  fleet.close();
  const result: Result = { server: server.name, held, openSeconds, subscribed, rssMb: rss, latencySmall, latency: latencyAll, fanoutPerSec, fanoutDelivered: delivered };
  if (db) result.db = db;
  return result;
}

async function against(start: () => Promise<BenchServer>): Promise<Result | string> {
  let server: BenchServer | undefined;
  try {
    server = await start();
    return await measure(server);
  } catch (err) {
    return `failed: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    await server?.stop();
  }
}

export async function run(): Promise<string[]> {
  const lines = [`MagWS vs Soketi · ${new Date().toISOString()}`, `machine: ${describeMachine()}`, describeLoad()];
  lines.push(`${CONNECTIONS} connections asked per server (one client process, ws), all on channel "bench"; ${LATENCY_EVENTS} latency events (each awaited by every subscriber), ${FANOUT_EVENTS} fan-out events (${FANOUT_IN_FLIGHT} publishes in flight)`);
  const results: Array<[string, Result | string]> = [
    ['MagMoBoMini', await against(startMobo)],
    ['Soketi 1.6.1', await against(startSoketi)],
  ];
  for (const [name, r] of results) {
    if (typeof r === 'string') {
      lines.push(`  ${name}: ${r}`);
      continue;
    }
    lines.push(
      `  ${name}:`,
      `    connections held  ${r.held} (opened in ${r.openSeconds.toFixed(1)} s), subscribed ${r.subscribed}, server RSS ${r.rssMb.toFixed(0)} MB`,
      `    publish → client  at ${SMALL} subscribers: ${fmtSummary(r.latencySmall)}`,
      `    publish → client  at ${r.subscribed} subscribers: ${fmtSummary(r.latency)}`,
      `    fan-out           ${fmtRate(r.fanoutPerSec).replace('ops/s', 'deliveries/s')} (${r.fanoutDelivered} delivered)`,
    );
    if (r.db) lines.push(`    table change → client  ${fmtSummary(r.db)} · p99 goal ≤ ${fmtMs(DB_GOAL_P99_MS)} ${r.db.p99 <= DB_GOAL_P99_MS ? 'PASS' : 'MISS'}`);
  }
  const [mobo, soketi] = results.map(([, r]) => r);
  if (typeof mobo !== 'string' && typeof soketi !== 'string' && mobo && soketi) {
    const ratio = mobo.fanoutPerSec / soketi.fanoutPerSec;
    lines.push(`  fan-out MagMoBoMini / Soketi = ${ratio.toFixed(2)}× (goal ≥ 1.00×) ${ratio >= 1 ? 'PASS' : 'MISS'}`);
  }
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().then(
    (lines) => (console.log(lines.join('\n')), process.exit(0)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
