/**
 * What the edge's pipeline costs per request, in process and without the network (so the
 * busy box disturbs it far less than wrk does): the same REST-shaped route answered by
 * calling its handler directly, and through `Edge.dispatch` (route match by trie, owner
 * check, the rate-limit-shaped onRequest + preHandler hooks, authenticate option).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Board } from '../actors/board.js';
import { Edge } from '../gateway/edge.js';
import type { HttpRequest, HttpResponse } from '../gateway/http-types.js';
import { Logger } from '../runtime/logger.js';
import { sequential, type Report } from './stats.js';

const COUNT = 200_000;

function request(i: number): HttpRequest {
  return {
    method: 'GET',
    path: `/v1/shop/main/items/${i % 1000}`,
    query: new URLSearchParams('select=id,name'),
    headers: { authorization: 'Bearer ak_x', host: 'localhost' },
    body: Buffer.alloc(0),
    ip: '127.0.0.1',
    params: {},
    requestId: `r${i}`,
  };
}

export async function run(report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mobo-bench-edge-'));
  const board = { log: Logger.silent(), nodeId: 'bench', configStore: { current: () => ({ dataDir: dir }) } } as unknown as Board;
  const edge = new Edge(board);
  const principal = { kind: 'api_key' as const, subject: 'k', project: 'shop', role: 'developer' };
  const handler = (req: HttpRequest): Promise<HttpResponse> => Promise.resolve({ status: 200, body: { id: req.params.id ?? req.path.length } });
  const mount = edge.mount('rest', Logger.silent());
  const authenticate = () => Promise.resolve(principal);
  for (const p of ['/v1/:project/:source/:table', '/rest/v1/:project/:source/:table']) mount.context.router.get(p, handler, { authenticate });
  mount.context.router.get('/v1/:project/:source/:table/:id', handler, { authenticate });
  let taken = 0;
  mount.context.hook({ name: 'rate-limit', scope: 'own', onRequest: () => void taken++, preHandler: (req) => void (req.principal && taken++) });
  mount.commit();

  const direct = await sequential({ warmup: 20_000, count: COUNT, maxMs: 5_000 }, async (i) => {
    const req = request(i);
    req.principal = await authenticate();
    return handler(req);
  });
  const piped = await sequential({ warmup: 20_000, count: COUNT, maxMs: 5_000 }, (i) => edge.dispatch(request(i), () => undefined));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  report.section('Edge pipeline overhead (in process, no network; one route table of REST-shaped routes)');
  report.line('handler called directly, median', `${(median(direct) * 1000).toFixed(2)} µs`);
  report.line('through Edge.dispatch, median', `${(median(piped) * 1000).toFixed(2)} µs`);
  report.line('pipeline cost per request', `${((median(piped) - median(direct)) * 1000).toFixed(2)} µs`);
  if (taken === 0) throw new Error('the hooks never ran');
}
