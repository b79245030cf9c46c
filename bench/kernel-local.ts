import { ActorSystem } from '../runtime/system.js';
import { benchBehavior, inBatches } from './kernel-actors.js';
import { bestRate, concurrent, fmtRate, sequential, summarize, type Report } from './stats.js';

const TELLS = 1_000_000;
/** Below the default mailbox capacity (10 000, overflow `reject`), so no tell is refused. */
const BATCH = 1_000;

/** Local tell throughput and ask latency on the in-process transport. */
export async function run(report: Report): Promise<void> {
  const system = new ActorSystem({ nodeId: 'bench' });
  await system.start('bench.counter', benchBehavior);
  const ref = system.ref('bench.counter');
  try {
    report.section('Local tell throughput (in-process transport)');
    report.note(`${TELLS.toLocaleString('en')} tells to a counting actor in batches of ${BATCH}, completion awaited by a final ask; best of 3 after a warm-up`);
    const tellRun = async (n: number): Promise<void> => {
      await inBatches(n, BATCH, () => ref.tell('inc'));
      await ref.ask('get');
    };
    await tellRun(TELLS / 10);
    const tells = await bestRate(3, TELLS, () => tellRun(TELLS));

    // Baselines: the same counting work, as a plain call and as one queueMicrotask per message.
    let count = 0;
    const handler = (msg: { type: string }): void => {
      if (msg.type === 'inc') count++;
    };
    const plain = await bestRate(3, TELLS, () => inBatches(TELLS, BATCH, () => handler({ type: 'inc' })));
    const microtask = await bestRate(3, TELLS, () => inBatches(TELLS, BATCH, () => queueMicrotask(() => handler({ type: 'inc' }))));
    report.line('actor tell', fmtRate(tells));
    report.line('baseline: plain function call', fmtRate(plain));
    report.line('baseline: queueMicrotask per msg', fmtRate(microtask));
    report.ratio('cost vs queueMicrotask dispatch', microtask, tells);
    report.ratio('cost vs plain call', plain, tells);
    report.note(`baselines counted ${count.toLocaleString('en')} messages; the plain call is the floor V8 can inline, not a mailbox`);

    report.section('Local ask (in-process transport)');
    const seq = summarize(await sequential({ warmup: 5_000, count: 50_000, maxMs: 10_000 }, (i) => ref.ask('echo', i)));
    const base = summarize(
      await sequential({ warmup: 5_000, count: 50_000, maxMs: 10_000 }, (i) => new Promise((resolve) => queueMicrotask(() => resolve(i)))),
    );
    report.latency('sequential ask', seq);
    report.latency('baseline: promise via microtask', base);
    report.ratio('p50 vs baseline', seq.p50, base.p50);
    const par = await concurrent({ warmup: 10_000, count: 200_000, inFlight: 100, maxMs: 10_000 }, (i) => ref.ask('echo', i));
    const parBase = await concurrent({ warmup: 10_000, count: 200_000, inFlight: 100, maxMs: 10_000 }, (i) => new Promise((resolve) => queueMicrotask(() => resolve(i))));
    report.line('ask, 100 in flight', `${fmtRate(par.opsPerSec)} (per-ask p50 ${par.latency.p50.toFixed(3)} ms, p99 ${par.latency.p99.toFixed(3)} ms)`);
    report.line('baseline, 100 in flight', fmtRate(parBase.opsPerSec));
    report.ratio('cost vs baseline', parBase.opsPerSec, par.opsPerSec);
  } finally {
    await system.shutdown();
  }
}
