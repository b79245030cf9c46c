/**
 * MagWS next to Soketi 1.6.1 in the same run, each server in its own process on
 * 127.0.0.1, driven by the same client fleet (connections spread over several client
 * processes, ws-fleet.ts): connections held, publish → client latency at 1,000 and at every
 * subscriber, fan-out deliveries/s, and (MagMoBoMini only: Soketi has no database) table
 * change → client latency at 1,000 and at every subscriber. Latency is first byte at the
 * client minus the publisher's timestamp, both on the machine's monotonic clock.
 * Every phase is bounded in time and count.
 * Reproduce: `npm run build && node dist/bench/ws.js` (WS_BENCH_CONNECTIONS to change N,
 * WS_BENCH_CLIENT_PROCS the number of client processes, WS_BENCH_CLIENT_NICE their niceness, WS_BENCH_CPU_PROF=<dir> to profile
 * the MagMoBoMini node with --cpu-prof, WS_BENCH_PERF=<file> to `perf record` each server
 * during the 10,000-subscriber publish row, WS_BENCH_ONLY=mobo|soketi for one server).
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { describeLoad, describeMachine } from './machine.js';
import { fmtMs, fmtRate, fmtSummary, summarize, type Summary } from './stats.js';
import { Fleet, hrMs, publish } from './ws-fleet.js';
import { cpuMs, rssMb, startMobo, startSoketi, type BenchServer } from './ws-servers.js';

const CONNECTIONS = Number(process.env.WS_BENCH_CONNECTIONS ?? 10_000);
const CLIENT_PROCS = Math.max(1, Number(process.env.WS_BENCH_CLIENT_PROCS ?? 4));
/** Niceness of the client processes: on a shared box, clients that outrank or tie the server steal the CPU its sends need. */
const CLIENT_NICE = Number(process.env.WS_BENCH_CLIENT_NICE ?? 0);
const SMALL = Math.min(1_000, CONNECTIONS);
const LATENCY_EVENTS = 40;
/** Unmeasured events before each latency row (JIT in the server and the clients). */
const WARMUP_EVENTS = 5;
const FANOUT_EVENTS = 40;
const FANOUT_IN_FLIGHT = 8;
const DB_EVENTS = 40;
const EVENT_DEADLINE_MS = 15_000;
const DB_GOAL_P99_MS = 50;
const DB_CHANNEL = 'private-db-main.items';

/** A latency row: the samples' summary and the CPU the server and the clients spent per event. */
interface Row extends Summary {
  serverCpuMs: number;
  clientCpuMs: number;
}

interface Result {
  server: string;
  held: number;
  openSeconds: number;
  subscribed: number;
  rssMb: number;
  latencySmall: Row;
  latency: Row;
  fanoutPerSec: number;
  fanoutDelivered: number;
  dbSmall?: Row;
  db?: Row;
}

async function measure(server: BenchServer): Promise<Result> {
  const fleet = new Fleet(server.port, server.app, CLIENT_PROCS, CLIENT_NICE);
  try {
    const t0 = hrMs();
    const held = await fleet.open(CONNECTIONS, 50, 120_000);
    const openSeconds = (hrMs() - t0) / 1000;

    /** One event at a time, each awaited by every subscriber of the channel; rounds are numbered across the run (a row's id is its round). */
    let seq = 0;
    const rounds = async (channel: string, event: string, fire: (i: number, t: number) => Promise<void>, count: number): Promise<Row> => {
      const play = async (n: number) => {
        fleet.phase(event);
        const cpu0 = cpuMs(server.proc);
        for (let k = 0; k < n; k++) {
          const i = ++seq;
          const all = fleet.awaitRound(i, channel, EVENT_DEADLINE_MS);
          await fire(i, hrMs());
          await all;
        }
        const serverCpuMs = (cpuMs(server.proc) - cpu0) / n;
        const got = await fleet.collect();
        return { samples: got.samples, serverCpuMs, clientCpuMs: got.clientCpuMs / n };
      };
      await play(WARMUP_EVENTS);
      const { samples, serverCpuMs, clientCpuMs } = await play(count);
      return { ...summarize(samples), serverCpuMs, clientCpuMs };
    };
    const tick = (channel: string) => (i: number, t: number) => publish(server.port, server.app, channel, `tick-${channel}`, JSON.stringify({ t, i }));

    await fleet.subscribe('small', 60_000, SMALL);
    const latencySmall = await rounds('small', 'tick-small', tick('small'), LATENCY_EVENTS);
    const subscribed = await fleet.subscribe('bench', 60_000);
    const perf = process.env.WS_BENCH_PERF ? spawn('perf', ['record', '-g', '-o', `${process.env.WS_BENCH_PERF}.${server.name.split(' ')[0]}`, '-p', String(server.proc.pid)], { stdio: 'ignore' }) : undefined;
    const latency = await rounds('bench', 'tick-bench', tick('bench'), LATENCY_EVENTS);
    perf?.kill('SIGINT');

    fleet.phase('burst');
    const fanoutDone = fleet.awaitRounds(FANOUT_EVENTS, 'bench', EVENT_DEADLINE_MS * 2);
    const f0 = hrMs();
    let sent = 0;
    await Promise.all(
      Array.from({ length: FANOUT_IN_FLIGHT }, async () => {
        while (sent < FANOUT_EVENTS) {
          const i = ++sent;
          await publish(server.port, server.app, 'bench', 'burst', JSON.stringify({ t: hrMs(), i }));
        }
      }),
    );
    await fanoutDone;
    const burst = await fleet.collect();
    const fanoutPerSec = burst.delivered / ((burst.lastAt - f0) / 1000);

    const result: Result = { server: server.name, held, openSeconds, subscribed, rssMb: rssMb(server.proc), latencySmall, latency, fanoutPerSec, fanoutDelivered: burst.delivered };
    if (server.insert) {
      const insert = server.insert;
      // The row's id is the round; its `t` the time of the REST call.
      const fire = (id: number, t: number) => insert({ id, t });
      // Unfiltered grants (channel_data without a row filter), as an admin key's subscribers get.
      await fleet.subscribe(DB_CHANNEL, 60_000, SMALL, { channelData: '{}' });
      result.dbSmall = await rounds(DB_CHANNEL, 'INSERT', fire, DB_EVENTS);
      await fleet.subscribe(DB_CHANNEL, 60_000, Infinity, { channelData: '{}' });
      result.db = await rounds(DB_CHANNEL, 'INSERT', fire, DB_EVENTS);
      result.rssMb = rssMb(server.proc);
    }
    return result;
  } finally {
    fleet.close();
  }
}

function fmtRow(r: Row): string {
  return `${fmtSummary(r)} · CPU/event server ${r.serverCpuMs.toFixed(1)} ms, clients ${r.clientCpuMs.toFixed(1)} ms`;
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
  lines.push(`${CONNECTIONS} connections asked per server over ${CLIENT_PROCS} client processes (raw WebSocket over net, nice ${CLIENT_NICE}), all on channel "bench"; ${LATENCY_EVENTS} latency events per row (each awaited by every subscriber, after ${WARMUP_EVENTS} unmeasured), ${FANOUT_EVENTS} fan-out events (${FANOUT_IN_FLIGHT} publishes in flight)`);
  const only = process.env.WS_BENCH_ONLY?.toLowerCase();
  const results: Array<[string, Result | string]> = [];
  if (!only || only === 'mobo') results.push(['MagMoBoMini', await against(startMobo)]);
  if (!only || only === 'soketi') results.push(['Soketi 1.6.1', await against(startSoketi)]);
  for (const [name, r] of results) {
    if (typeof r === 'string') {
      lines.push(`  ${name}: ${r}`);
      continue;
    }
    lines.push(
      `  ${name}:`,
      `    connections held  ${r.held} (opened in ${r.openSeconds.toFixed(1)} s), subscribed ${r.subscribed}, server RSS ${r.rssMb.toFixed(0)} MB`,
      `    publish → client  at ${SMALL} subscribers: ${fmtRow(r.latencySmall)}`,
      `    publish → client  at ${r.subscribed} subscribers: ${fmtRow(r.latency)}`,
      `    fan-out           ${fmtRate(r.fanoutPerSec).replace('ops/s', 'deliveries/s')} (${r.fanoutDelivered} delivered)`,
    );
    if (r.dbSmall) lines.push(`    table change → client  at ${SMALL} subscribers: ${fmtRow(r.dbSmall)}`);
    if (r.db) lines.push(`    table change → client  at ${r.subscribed} subscribers: ${fmtRow(r.db)} · p99 goal ≤ ${fmtMs(DB_GOAL_P99_MS)} ${r.db.p99 <= DB_GOAL_P99_MS ? 'PASS' : 'MISS'}`);
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
