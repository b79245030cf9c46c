/**
 * Prometheus text-format metrics: counters and histograms with labels, kept in
 * memory and rendered on `GET /metrics`.
 */
type Labels = Record<string, string>;

const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function labelKey(labels: Labels): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}

class Counter {
  private readonly values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [key, v] of this.values) lines.push(`${this.name}${key ? `{${key}}` : ''} ${v}`);
    return lines.join('\n');
  }
}

class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string, private readonly buckets = DURATION_BUCKETS) {}
  observe(labels: Labels, value: number): void {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [key, s] of this.series) {
      const sep = key ? ',' : '';
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{${key}${sep}le="${b}"} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket{${key}${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${key ? `{${key}}` : ''} ${s.sum}`);
      lines.push(`${this.name}_count${key ? `{${key}}` : ''} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export class Metrics {
  readonly httpRequests = new Counter('mobo_http_requests_total', 'HTTP requests by method, route and status');
  readonly httpDuration = new Histogram('mobo_http_request_duration_seconds', 'HTTP request duration by method and route');
  readonly restarts = new Counter('mobo_component_restarts_total', 'Component restarts by component');
  readonly exits = new Counter('mobo_component_exits_total', 'Component exits by component and reason');
  readonly readCacheLookups = new Counter('mobo_read_cache_lookups_total', 'MagGate read cache lookups by result (hit, miss)');

  private readonly extensions: Array<() => string> = [];

  /** A component's own series (already in text format), rendered after the edge's. */
  extend(render: () => string): () => void {
    this.extensions.push(render);
    return () => void this.extensions.splice(this.extensions.indexOf(render) >>> 0, 1);
  }

  render(gauges: Record<string, number> = {}): string {
    const gaugeLines = Object.entries(gauges).map(([name, v]) => `# TYPE ${name} gauge\n${name} ${v}`);
    const own = [this.httpRequests, this.httpDuration, this.restarts, this.exits, this.readCacheLookups].map((m) => m.render()).concat(gaugeLines).join('\n') + '\n';
    return own + this.extensions.map((r) => r()).join('');
  }
}
