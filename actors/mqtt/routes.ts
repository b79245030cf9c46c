import type { EdgeContext } from '../../gateway/edge.js';
import { parseJsonBody } from '../../gateway/envelope.js';
import type { HttpRequest } from '../../gateway/http-types.js';
import { mqttStats } from './stats.js';

/** Operator API for MagMQTT (admin token), and its counters in `GET /metrics`. */
export function mountMqttAdminRoutes({ router, board, admin, metrics, onStop }: EdgeContext): void {
  const mqtt = board.system.ref(board.address('mqtt'), 'http');
  const body = (req: HttpRequest): Record<string, unknown> => {
    const parsed = req.body.length > 0 ? parseJsonBody(req.body) : {};
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  };
  const project = (req: HttpRequest) => {
    const p = req.query.get('project');
    return p ? { project: p } : {};
  };
  router.get('/v1/admin/mqtt/clients', admin((req) => mqtt.ask('mqtt.clients', project(req))));
  router.post('/v1/admin/mqtt/clients/:id/kick', admin((req) => mqtt.ask('mqtt.kick', { clientId: req.params.id })));
  router.get('/v1/admin/mqtt/stats', admin(() => mqtt.ask('mqtt.stats')));
  router.get('/v1/admin/mqtt/rules', admin((req) => mqtt.ask('mqtt.rule.list', project(req))));
  router.post('/v1/admin/projects/:project/mqtt/rules', admin((req) => mqtt.ask('mqtt.rule.add', { ...body(req), project: req.params.project }), 201));
  router.delete('/v1/admin/projects/:project/mqtt/rules/:id', admin((req) => mqtt.ask('mqtt.rule.remove', { project: req.params.project, id: req.params.id })));
  onStop(metrics.extend(() => mqttStats(board).render()));
}
