import { performance } from 'node:perf_hooks';

/** Percentiles of a sample set, in the unit of the samples (milliseconds here). */
export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

export function summarize(samples: number[]): Summary {
  const sorted = Float64Array.from(samples).sort();
  const arr = Array.from(sorted);
  const sum = arr.reduce((a, b) => a + b, 0);
  return {
    n: arr.length,
    mean: arr.length ? sum / arr.length : Number.NaN,
    p50: percentile(arr, 50),
    p90: percentile(arr, 90),
    p99: percentile(arr, 99),
    max: arr.length ? arr[arr.length - 1]! : Number.NaN,
  };
}

export interface LoopOptions {
  /** Unmeasured calls first (JIT, caches, connections). */
  warmup: number;
  /** Measured calls. */
  count: number;
  /** Stop measuring early after this long, so every bench stays bounded. */
  maxMs?: number;
}

/** Sequential latency: one call at a time, each timed. */
export async function sequential(opts: LoopOptions, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < opts.warmup; i++) await fn(i);
  const samples: number[] = [];
  const end = performance.now() + (opts.maxMs ?? Infinity);
  for (let i = 0; i < opts.count && performance.now() < end; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  return samples;
}

export interface Throughput {
  opsPerSec: number;
  latency: Summary;
}

/** Throughput with `inFlight` calls outstanding at all times; each call is also timed. */
export async function concurrent(opts: LoopOptions & { inFlight: number }, fn: (i: number) => Promise<unknown>): Promise<Throughput> {
  const pass = async (count: number, samples: number[] | undefined, end: number): Promise<number> => {
    let issued = 0;
    const worker = async (): Promise<void> => {
      while (issued < count && performance.now() < end) {
        const i = issued++;
        const t0 = performance.now();
        await fn(i);
        samples?.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: opts.inFlight }, worker));
    return issued;
  };
  await pass(opts.warmup, undefined, Infinity);
  const samples: number[] = [];
  const t0 = performance.now();
  const done = await pass(opts.count, samples, t0 + (opts.maxMs ?? Infinity));
  return { opsPerSec: done / ((performance.now() - t0) / 1000), latency: summarize(samples) };
}

/** Best (highest) rate of several timed runs of `count` operations. */
export async function bestRate(runs: number, count: number, fn: () => Promise<void> | void): Promise<number> {
  let best = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await fn();
    best = Math.max(best, count / ((performance.now() - t0) / 1000));
  }
  return best;
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms < 1) return `${(ms * 1000).toFixed(1)} µs`;
  if (ms < 100) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(0)} ms`;
}

export function fmtRate(opsPerSec: number): string {
  if (opsPerSec >= 1e6) return `${(opsPerSec / 1e6).toFixed(2)} M ops/s`;
  if (opsPerSec >= 1e3) return `${(opsPerSec / 1e3).toFixed(1)} k ops/s`;
  return `${opsPerSec.toFixed(0)} ops/s`;
}

export function fmtSummary(s: Summary, fmt: (v: number) => string = fmtMs): string {
  return `p50 ${fmt(s.p50)} · p90 ${fmt(s.p90)} · p99 ${fmt(s.p99)} · max ${fmt(s.max)} (n=${s.n})`;
}

interface GoalLine {
  label: string;
  text: string;
  pass: boolean;
}

/** Prints as it goes and keeps the goal verdicts for a closing summary. Never fails the run. */
export class Report {
  readonly goals: GoalLine[] = [];

  section(title: string): void {
    console.log(`\n### ${title}`);
  }

  line(label: string, value: string): void {
    console.log(`  ${label.padEnd(34)} ${value}`);
  }

  note(text: string): void {
    console.log(`  · ${text}`);
  }

  latency(label: string, s: Summary): void {
    this.line(label, fmtSummary(s));
  }

  /** `value` over `baseline`: how many times the baseline it costs (>1 is slower). */
  ratio(label: string, value: number, baseline: number): void {
    this.line(label, `${(value / baseline).toFixed(2)}×`);
  }

  /** A goal met when `actual <= limit`. */
  goal(label: string, actual: number, limit: number, fmt: (v: number) => string): void {
    const pass = actual <= limit;
    const text = `${fmt(actual)} (goal ≤ ${fmt(limit)}) ${pass ? 'PASS' : 'MISS'}`;
    this.goals.push({ label, text, pass });
    this.line(`goal: ${label}`, text);
  }

  printGoals(): void {
    if (this.goals.length === 0) return;
    this.section('Goals');
    for (const g of this.goals) this.line(g.label, g.text);
  }
}

export const times = (x: number): string => `${x.toFixed(2)}×`;
export const megabytes = (mb: number): string => `${mb.toFixed(1)} MB`;
