import { performance } from 'node:perf_hooks';
import { ActorSystem } from '../runtime/system.js';
import { Supervisor } from '../supervisors/supervisor.js';
import { benchBehavior } from './kernel-actors.js';
import { fmtMs, summarize, type Report } from './stats.js';

const WARMUP = 50;
const KILLS = 500;

/** The floor: the same actor killed and started again by hand, no supervisor or event bus. */
async function unsupervised(system: ActorSystem): Promise<number[]> {
  const cell = await system.start('bench.solo', benchBehavior);
  const ref = system.ref('bench.solo');
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + KILLS; i++) {
    const t0 = performance.now();
    cell.kill();
    await cell.start();
    await ref.ask('echo', i, { timeoutMs: 1_000 });
    if (i >= WARMUP) samples.push(performance.now() - t0);
  }
  return samples;
}

/** Kill → restarted → first answered ask, in-process, one_for_one. */
export async function run(report: Report): Promise<void> {
  report.section('Restart latency after a kill (in-process, one_for_one)');
  report.note('backoff off (initialMs 0) and intensity roomy: this measures the restart mechanism, not the restart policy');
  const system = new ActorSystem({ nodeId: 'bench' });
  const sup = new Supervisor(
    {
      name: 'bench',
      strategy: 'one_for_one',
      intensity: { maxRestarts: 1e9, periodMs: 1_000 },
      backoff: { initialMs: 0 },
      children: [{ name: 'child', create: () => system.spawn('bench.child', benchBehavior) }],
    },
    { clock: system.clock, events: system.events, log: system.log },
  );
  await sup.start();
  const ref = system.ref('bench.child');
  const total: number[] = [];
  const toEvent: number[] = [];
  try {
    for (let i = 0; i < WARMUP + KILLS; i++) {
      const restarted = system.events.once<{ name: string }>('component.restarted', (e) => e.payload.name === 'child');
      const t0 = performance.now();
      sup.killChild('child');
      await restarted;
      const t1 = performance.now();
      await ref.ask('echo', i, { timeoutMs: 1_000 });
      if (i < WARMUP) continue;
      toEvent.push(t1 - t0);
      total.push(performance.now() - t0);
    }
    const s = summarize(total);
    const base = summarize(await unsupervised(system));
    report.latency('kill → component.restarted', summarize(toEvent));
    report.latency('kill → first answered ask', s);
    report.latency('baseline: kill + start() + ask', base);
    report.ratio('p50 vs unsupervised restart', s.p50, base.p50);
    report.goal('restart p99', s.p99, 10, fmtMs);
  } finally {
    await sup.stop();
    await system.shutdown();
  }
}
