import type { EdgeContext } from './edge.js';

/** `GET /metrics` in Prometheus text format: HTTP traffic, component restarts and exits, memory. */
export function mountMetricsRoute({ router, board, metrics, onStop }: EdgeContext): void {
  const offRestart = board.system.events.on<{ name: string }>('component.restarted', (e) => metrics.restarts.inc({ component: e.payload.name }));
  const offExit = board.system.events.on<{ name: string; reason: string }>('component.exited', (e) =>
    metrics.exits.inc({ component: e.payload.name, reason: e.payload.reason }),
  );
  onStop(() => {
    offRestart();
    offExit();
  });
  router.get('/metrics', () => {
    const memory = process.memoryUsage();
    return {
      status: 200,
      headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
      body: metrics.render({ mobo_process_resident_memory_bytes: memory.rss, mobo_process_heap_used_bytes: memory.heapUsed, mobo_uptime_seconds: process.uptime() }),
    };
  });
}
