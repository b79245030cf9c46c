import type { SchemaOp } from '../../adapters/index.js';
import { parseJsonBody } from '../../gateway/envelope.js';
import type { EdgeContext } from '../../gateway/edge.js';
import type { HttpRequest } from '../../gateway/http-types.js';
import { clientOf } from '../../runtime/index.js';
import { schemaProtocol } from './protocol.js';

/** The schema API under a source (docs/schema-api.md), operator token only. */
export function mountSchemaRoutes({ router, board, admin }: EdgeContext): void {
  const schema = clientOf(schemaProtocol, board.system.ref(board.address('schema'), 'http'), { timeoutMs: 600_000 });
  const body = (req: HttpRequest): Record<string, unknown> => {
    const parsed = parseJsonBody(req.body);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  };
  const at = (req: HttpRequest) => ({ project: req.params.project!, source: req.params.source! });
  const dryRun = (req: HttpRequest): boolean | undefined => (req.query.get('dryRun') === 'true' || body(req).dryRun === true ? true : undefined);
  /** A change: the body's fields (less dryRun) beside the ones the path names. */
  const change = (status: number, op: (req: HttpRequest, b: Record<string, unknown>) => Record<string, unknown>) =>
    admin((req) => {
      const { dryRun: _d, ...rest } = body(req);
      return schema.ask('schema.change', { ...at(req), change: op(req, rest) as unknown as SchemaOp, dryRun: dryRun(req) });
    }, status);
  const base = '/v1/admin/projects/:project/sources/:source';
  const p = (req: HttpRequest) => req.params;

  router.post(`${base}/tables`, change(201, (_req, b) => ({ op: 'createTable', table: b })));
  router.get(`${base}/tables/:table`, admin((req) => schema.ask('schema.describe', { ...at(req), table: p(req).table! })));
  router.patch(`${base}/tables/:table`, change(200, (req, b) => ({ op: 'renameTable', table: p(req).table, to: b.name })));
  router.delete(`${base}/tables/:table`, change(200, (req) => ({ op: 'dropTable', table: p(req).table })));
  router.post(`${base}/tables/:table/columns`, change(201, (req, b) => ({ op: 'addColumn', table: p(req).table, column: b })));
  router.patch(`${base}/tables/:table/columns/:column`, admin(async (req) => {
    const { dryRun: _d, name, ...alter } = body(req);
    const here = { ...at(req), dryRun: dryRun(req) };
    const { table, column } = p(req) as { table: string; column: string };
    const altering = Object.keys(alter).length > 0;
    if (typeof name === 'string' && name !== column) {
      const renamed = await schema.ask('schema.change', { ...here, change: { op: 'renameColumn', table, column, to: name } });
      if (!altering) return renamed;
    }
    return schema.ask('schema.change', { ...here, change: { op: 'alterColumn', table, column: typeof name === 'string' && !here.dryRun ? name : column, ...alter } as SchemaOp });
  }));
  router.delete(`${base}/tables/:table/columns/:column`, change(200, (req) => ({ op: 'dropColumn', table: p(req).table, column: p(req).column })));
  router.post(`${base}/tables/:table/indexes`, change(201, (req, b) => ({ op: 'createIndex', table: p(req).table, ...b })));
  router.delete(`${base}/tables/:table/indexes/:index`, change(200, (req) => ({ op: 'dropIndex', table: p(req).table, index: p(req).index })));
  router.post(`${base}/views`, change(201, (_req, b) => ({ op: 'createView', view: b.name, select: b.select })));
  router.delete(`${base}/views/:view`, change(200, (req) => ({ op: 'dropView', view: p(req).view })));
  router.get(`${base}/migrations`, admin((req) => schema.ask('migrate.status', at(req))));
  router.post(`${base}/migrations`, admin((req) => schema.ask('migrate.new', { ...body(req), ...at(req) } as never), 201));
  router.post(`${base}/migrations/up`, admin((req) => schema.ask('migrate.up', { ...body(req), ...at(req) } as never)));
  router.post(`${base}/migrations/down`, admin((req) => schema.ask('migrate.down', { ...body(req), ...at(req) } as never)));
  router.post(`${base}/migrations/redo`, admin((req) => schema.ask('migrate.redo', { ...body(req), ...at(req) } as never)));
  router.get(`${base}/diff`, admin((req) => schema.ask('db.diff', at(req))));
}
