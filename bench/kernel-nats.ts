import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createEnvelope } from '../runtime/envelope.js';
import { NatsTransport } from '../runtime/nats-transport.js';
import { ActorSystem } from '../runtime/system.js';
import { benchBehavior } from './kernel-actors.js';
import { concurrent, fmtRate, sequential, summarize, times, type Report, type Summary, type Throughput } from './stats.js';

const SERVERS = process.env.NATS_URL ?? '127.0.0.1:4222';
const ROUNDS = 3;
const SEQ = { warmup: 300, count: 2_000, maxMs: 5_000 };
const PAR = { warmup: 1_000, count: 10_000, inFlight: 50, maxMs: 5_000 };
const PAYLOAD = { data: 'x'.repeat(64) };

type Ask = (i: number) => Promise<unknown>;

interface Side {
  seq: number[];
  par: Throughput[];
}

/** Alternates the sides round by round, so drift on the box hits them alike. */
async function measure(sides: Ask[]): Promise<Side[]> {
  const out = sides.map((): Side => ({ seq: [], par: [] }));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, ask] of sides.entries()) {
      out[k]!.seq.push(...(await sequential(SEQ, ask)));
      out[k]!.par.push(await concurrent(PAR, ask));
    }
  }
  return out;
}

const meanRate = (ps: Throughput[]): number => ps.reduce((a, p) => a + p.opsPerSec, 0) / ps.length;

/**
 * A raw request/reply pair with the same bytes on the wire as a mobo ask and its reply.
 * `noAsyncTraces` is what NatsTransport sets (no Error built per request); the baseline
 * uses it too, so the ratio measures mobo, not a client option.
 */
async function rawPair(noAsyncTraces: boolean): Promise<{ ask: Ask; close: () => Promise<void> }> {
  const request = new TextEncoder().encode(JSON.stringify(createEnvelope('bench.counter', 'echo', PAYLOAD, { deadline: Date.now() })));
  const reply = new TextEncoder().encode(JSON.stringify({ ok: true, value: PAYLOAD }));
  const opts = { servers: SERVERS, noAsyncTraces };
  const server: NatsConnection = await connect({ ...opts, name: 'bench-raw-server' });
  const client: NatsConnection = await connect({ ...opts, name: 'bench-raw-client' });
  server.subscribe('bench.raw', {
    callback: (err, msg) => {
      if (!err) msg.respond(reply);
    },
  });
  await server.flush();
  return {
    ask: () => client.request('bench.raw', request, { timeout: 5_000 }),
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** NATS ask across the server (actor on system A, asked from system B) next to raw NATS request/reply. */
export async function run(report: Report): Promise<void> {
  report.section('NATS ask vs raw NATS request/reply (same server, same run)');
  const a = new ActorSystem({ nodeId: 'bench-a', transport: await NatsTransport.connect({ servers: SERVERS, name: 'bench-a' }) });
  const b = new ActorSystem({ nodeId: 'bench-b', transport: await NatsTransport.connect({ servers: SERVERS, name: 'bench-b' }) });
  const raw = await rawPair(true);
  const defaults = await rawPair(false);
  try {
    await a.start('bench.counter', benchBehavior);
    const ref = b.ref('bench.counter');
    const mobo: Ask = () => ref.ask('echo', PAYLOAD);
    const [rawSide, defaultSide, moboSide] = await measure([raw.ask, defaults.ask, mobo]);
    const [rs, ds, ms] = [rawSide!, defaultSide!, moboSide!].map((side) => summarize(side.seq)) as [Summary, Summary, Summary];
    const [rRate, dRate, mRate] = [rawSide!, defaultSide!, moboSide!].map((side) => meanRate(side.par)) as [number, number, number];
    report.note(`payload ${JSON.stringify(PAYLOAD).length} B; raw sends the envelope's byte count and answers the reply's; ${ROUNDS} alternating rounds; server ${SERVERS}`);
    report.note('goals compare with raw on the same client options as NatsTransport (noAsyncTraces); "raw, nats.js defaults" for reference');
    report.latency('raw request/reply, sequential', rs);
    report.latency('raw, nats.js defaults, sequential', ds);
    report.latency('mobo ask, sequential', ms);
    report.goal('NATS ask p50 / raw p50', ms.p50 / rs.p50, 1.25, times);
    report.ratio('p99 vs raw', ms.p99, rs.p99);
    report.ratio('p50 vs raw, nats.js defaults', ms.p50, ds.p50);
    report.line(`raw, ${PAR.inFlight} in flight`, fmtRate(rRate));
    report.line(`raw, nats.js defaults, ${PAR.inFlight} in flight`, fmtRate(dRate));
    report.line(`mobo ask, ${PAR.inFlight} in flight`, fmtRate(mRate));
    report.goal('NATS ask throughput cost vs raw', rRate / mRate, 1.25, times);
    report.ratio('throughput cost vs raw, nats.js defaults', dRate, mRate);
  } finally {
    await defaults.close();
    await raw.close();
    await b.shutdown();
    await a.shutdown();
  }
}
