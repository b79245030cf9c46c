import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { budgetStats } from '../adapters/index.js';

/**
 * Prometheus metrics on prom-client (the one file that imports it): HTTP traffic,
 * component restarts and exits, read-cache lookups, and the process's own (CPU, memory,
 * heap, GC, event-loop lag, handles), rendered on `GET /metrics`.
 */
const PREFIX = 'mobo_';
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Process metrics describe the process, not one incarnation of the edge: one registry per
 * process, so restarting the HTTP slot does not start a second event-loop monitor.
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: PREFIX });
    new Gauge({ name: `${PREFIX}uptime_seconds`, help: 'Seconds since the process started', registers: [processRegistry], collect() {
      this.set(process.uptime());
    } });
  }
  return processRegistry;
}

export class Metrics {
  private readonly registry = new Registry();
  readonly httpRequests = new Counter({ name: `${PREFIX}http_requests_total`, help: 'HTTP requests by method, route and status', labelNames: ['method', 'route', 'status'] as const, registers: [this.registry] });
  readonly httpDuration = new Histogram({ name: `${PREFIX}http_request_duration_seconds`, help: 'HTTP request duration by method and route', labelNames: ['method', 'route'] as const, buckets: DURATION_BUCKETS, registers: [this.registry] });
  readonly restarts = new Counter({ name: `${PREFIX}component_restarts_total`, help: 'Component restarts by component', labelNames: ['component'] as const, registers: [this.registry] });
  readonly exits = new Counter({ name: `${PREFIX}component_exits_total`, help: 'Component exits by component and reason', labelNames: ['component', 'reason'] as const, registers: [this.registry] });
  readonly projectRequests = new Counter({ name: `${PREFIX}project_requests_total`, help: 'HTTP requests by project (tenant)', labelNames: ['project'] as const, registers: [this.registry] });
  readonly serverConnections = new Gauge({
    name: `${PREFIX}ds_server_connections`,
    help: 'Connections to each database server: in use, idle, waiting for the budget, and the budget',
    labelNames: ['server', 'state'] as const,
    registers: [this.registry],
    collect() {
      this.reset();
      for (const s of budgetStats()) {
        for (const state of ['inUse', 'idle', 'waiting', 'budget'] as const) this.inc({ server: s.server, state }, s[state]);
      }
    },
  });
  /** Far above the budget means connections churn (closed for other targets and opened again). */
  readonly serverConnectionsOpened = new Counter({
    name: `${PREFIX}ds_server_connections_opened_total`,
    help: 'Connections opened to each database server since the node started',
    labelNames: ['server'] as const,
    registers: [this.registry],
    collect() {
      this.reset();
      for (const s of budgetStats()) this.inc({ server: s.server }, s.opened);
    },
  });
  readonly readCacheLookups = new Counter({ name: `${PREFIX}read_cache_lookups_total`, help: 'MagGate read cache lookups by result (hit, miss)', labelNames: ['result'] as const, registers: [this.registry] });

  readonly contentType = this.registry.contentType;
  private readonly extensions: Array<() => string> = [];

  /** A component's own series (already in text format), rendered after the edge's. */
  extend(render: () => string): () => void {
    this.extensions.push(render);
    return () => void this.extensions.splice(this.extensions.indexOf(render) >>> 0, 1);
  }

  /** The text exposition of this edge's metrics, the components' and the process's. */
  async render(): Promise<string> {
    const [own, proc] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${own}\n${this.extensions.map((r) => r()).join('')}${proc}`;
  }
}
