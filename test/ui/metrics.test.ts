import { describe, expect, it } from 'vitest';
import { parseProm, point, quantileMs, scrape } from '../../gateway/ui/page/src/metrics.js';

/** The charts' arithmetic on the node's Prometheus text (the page's own module, run here). */
const text = (requests: number, errors: number, buckets: number[]) =>
  [
    '# HELP mobo_http_requests_total x',
    `mobo_http_requests_total{method="GET",route="/v1/:p",status="200"} ${requests}`,
    `mobo_http_requests_total{method="GET",route="/a \\"q\\"",status="503"} ${errors}`,
    ...[0.001, 0.01, 0.1].map((le, i) => `mobo_http_request_duration_seconds_bucket{le="${le}",method="GET",route="/"} ${buckets[i]}`),
    `mobo_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/"} ${buckets[3]}`,
    'mobo_mqtt_connections 3',
    'mobo_realtime_connections 7',
  ].join('\n');

describe('MagUI metrics', () => {
  it('parses labels with escaped quotes', () => {
    const s = parseProm(text(1, 2, [0, 0, 0, 0]));
    expect(s.find((x) => x.labels.status === '503')?.labels.route).toBe('/a "q"');
  });

  it('turns two scrapes into rates, error rates, gauges and percentiles', () => {
    const a = scrape(text(100, 0, [10, 50, 100, 100]), 0);
    const b = scrape(text(300, 10, [110, 150, 200, 210]), 2_000);
    const p = point(a, b);
    expect(p.rps).toBe(105);
    expect(p.e5).toBe(5);
    expect(p.e4).toBe(0);
    expect(p.mqtt).toBe(3);
    expect(p.realtime).toBe(7);
    // 110 requests in the window: 100 under 1 ms, 100 under 10 ms, 100 under 100 ms, 10 above.
    expect(p.p50).toBeCloseTo(0.55, 5);
    expect(p.p99).toBe(100);
  });

  it('has no percentile for a window without requests', () => {
    const a = scrape(text(1, 0, [1, 1, 1, 1]), 0);
    expect(quantileMs(a, a, 0.5)).toBeNull();
  });
});
