import type { SentinelConfig } from './config.js';
import type { Clock } from '../../runtime/index.js';

/** What one answered request tells the baselines. */
export interface Observation {
  status: number;
  /** Rows the answer carried. */
  rows: number;
  /** `<project>/<source>/<table>`, for the distinct-tables count. */
  table?: string | undefined;
}

export type Metric = 'requests' | 'errors' | 'rows' | 'tables' | 'notFound';
const METRICS: readonly Metric[] = ['requests', 'errors', 'rows', 'tables', 'notFound'];

export interface Anomaly {
  identity: string;
  metric: Metric;
  /** This interval's value so far. */
  value: number;
  /** The baseline it is measured against (never below the metric's floor). */
  baseline: number;
  level: 'alert' | 'block';
}

type Values = Record<Metric, number>;

interface Track {
  start: number;
  now: Values;
  tables: Set<string>;
  /** EWMA per interval. */
  baseline: Values;
  intervals: number;
  /** The highest level already raised per metric in this interval: one event each, not one per request. */
  raised: Partial<Record<Metric, 'alert' | 'block'>>;
}

const zero = (): Values => ({ requests: 0, errors: 0, rows: 0, tables: 0, notFound: 0 });
/** Quiet intervals folded into a baseline at most, when a client comes back after a while. */
const MAX_IDLE_FOLDS = 32;

/**
 * Per-identity baselines (an API key, a user, an IP): EWMAs, one sample per interval, of
 * request count, errors, rows read, distinct tables and 404s. Once a baseline has seen
 * `warmupIntervals`, an interval that goes over `alertMultiple` × baseline (or the
 * metric's floor, whichever is higher) is an alert, over `blockMultiple` × a block:
 * "normally 10 rows, now 10,000" and a scan through tables or ids are caught while they
 * happen, not at the end of the interval.
 */
export class AnomalyDetector {
  private readonly tracks = new Map<string, Track>();

  constructor(
    private readonly clock: Clock,
    private readonly config: () => SentinelConfig['anomaly'],
  ) {}

  observe(identity: string, o: Observation): Anomaly[] {
    const cfg = this.config();
    const now = this.clock.now();
    let track = this.tracks.get(identity);
    if (!track) track = { start: now, now: zero(), tables: new Set(), baseline: zero(), intervals: 0, raised: {} };
    this.roll(track, now);
    this.tracks.delete(identity);
    this.tracks.set(identity, track);
    if (this.tracks.size > cfg.maxTracked) this.tracks.delete(this.tracks.keys().next().value!);

    track.now.requests++;
    if (o.status >= 400) track.now.errors++;
    if (o.status === 404) track.now.notFound++;
    track.now.rows += o.rows;
    if (o.table !== undefined) {
      track.tables.add(o.table);
      track.now.tables = track.tables.size;
    }
    if (track.intervals < cfg.warmupIntervals) return [];

    const out: Anomaly[] = [];
    for (const metric of METRICS) {
      const baseline = Math.max(track.baseline[metric], cfg.floors[metric]);
      const value = track.now[metric];
      const level = value > baseline * cfg.blockMultiple ? 'block' : value > baseline * cfg.alertMultiple ? 'alert' : undefined;
      if (!level || track.raised[metric] === level || track.raised[metric] === 'block') continue;
      track.raised[metric] = level;
      out.push({ identity, metric, value, baseline, level });
    }
    return out;
  }

  /** The baseline of an identity (for `sentinel:status` and tests). */
  baselineOf(identity: string): { baseline: Values; intervals: number } | undefined {
    const t = this.tracks.get(identity);
    return t && { baseline: { ...t.baseline }, intervals: t.intervals };
  }

  get tracked(): number {
    return this.tracks.size;
  }

  /** Folds finished intervals (and the quiet ones after them) into the baseline. */
  private roll(track: Track, now: number): void {
    const { intervalMs, alpha } = this.config();
    const elapsed = Math.floor((now - track.start) / intervalMs);
    if (elapsed <= 0) return;
    for (let i = 0; i < Math.min(elapsed, MAX_IDLE_FOLDS); i++) {
      const sample = i === 0 ? track.now : zero();
      for (const m of METRICS) track.baseline[m] = track.intervals === 0 && i === 0 ? sample[m] : alpha * sample[m] + (1 - alpha) * track.baseline[m];
      track.intervals++;
    }
    track.start += elapsed * intervalMs;
    track.now = zero();
    track.tables = new Set();
    track.raised = {};
  }
}
