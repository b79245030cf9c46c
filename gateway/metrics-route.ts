import type { EdgeContext } from './edge.js';

/** `GET /metrics` in Prometheus text format: HTTP traffic, component restarts and exits, process (memory, GC, event-loop lag). */
export function mountMetricsRoute({ router, board, metrics, onStop }: EdgeContext): void {
  const offRestart = board.system.events.on<{ name: string }>('component.restarted', (e) => metrics.restarts.inc({ component: e.payload.name }));
  const offExit = board.system.events.on<{ name: string; reason: string }>('component.exited', (e) =>
    metrics.exits.inc({ component: e.payload.name, reason: e.payload.reason }),
  );
  onStop(() => {
    offRestart();
    offExit();
  });
  router.get('/metrics', async () => ({ status: 200, headers: { 'content-type': metrics.contentType }, body: await metrics.render() }));
}
