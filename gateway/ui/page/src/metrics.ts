/** One sample line of the Prometheus text format: `name{a="b"} 1.5`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g;

export function parseProm(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** What the charts plot, from one scrape of `/metrics`. */
export interface Scrape {
  at: number;
  requests: number;
  errors4xx: number;
  errors5xx: number;
  /** Cumulative request count per duration bucket (seconds, ascending; +Inf last). */
  buckets: Array<[number, number]>;
  realtime: number;
  mqtt: number;
}

export function scrape(text: string, at: number): Scrape {
  const samples = parseProm(text);
  const sum = (pick: (s: Sample) => boolean) => samples.filter(pick).reduce((n, s) => n + s.value, 0);
  const requests = (s: Sample) => s.name === 'mobo_http_requests_total';
  const byLe = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== 'mobo_http_request_duration_seconds_bucket' || s.labels.le === undefined) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return {
    at,
    requests: sum(requests),
    errors4xx: sum((s) => requests(s) && /^4/.test(s.labels.status ?? '')),
    errors5xx: sum((s) => requests(s) && /^5/.test(s.labels.status ?? '')),
    buckets: [...byLe.entries()].sort((a, b) => a[0] - b[0]),
    realtime: sum((s) => s.name === 'mobo_realtime_connections'),
    mqtt: sum((s) => s.name === 'mobo_mqtt_connections'),
  };
}

/** The q-quantile (ms) of the requests between two scrapes, interpolated within the histogram bucket (as histogram_quantile does). */
export function quantileMs(before: Scrape, after: Scrape, q: number): number | null {
  const prev = new Map(before.buckets);
  const deltas = after.buckets.map(([le, n]) => [le, n - (prev.get(le) ?? 0)] as const);
  const total = deltas.at(-1)?.[1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, count] of deltas) {
    if (count >= rank) {
      if (le === Infinity) return lower * 1000;
      const within = count - below;
      return (lower + (le - lower) * (within === 0 ? 1 : (rank - below) / within)) * 1000;
    }
    lower = le;
    below = count;
  }
  return lower * 1000;
}

/** Rates and gauges between two scrapes: one point of every chart. */
export function point(before: Scrape, after: Scrape) {
  const seconds = Math.max((after.at - before.at) / 1000, 0.001);
  return {
    at: after.at / 1000,
    rps: (after.requests - before.requests) / seconds,
    e4: (after.errors4xx - before.errors4xx) / seconds,
    e5: (after.errors5xx - before.errors5xx) / seconds,
    p50: quantileMs(before, after, 0.5),
    p95: quantileMs(before, after, 0.95),
    p99: quantileMs(before, after, 0.99),
    realtime: after.realtime,
    mqtt: after.mqtt,
  };
}
export type Point = ReturnType<typeof point>;
