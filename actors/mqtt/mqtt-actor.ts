import { gatekeeperFor } from '../auth/gatekeeper.js';
import type { ActorSlot, Board } from '../board.js';
import { ensureTables } from '../ds/catalog-tables.js';
import { controlStore } from '../kernel/store-slot.js';
import { mqttConfig } from './config.js';
import { mqttErrors } from './errors.js';
import { mqttProtocol } from './protocol.js';
import { mountMqttAdminRoutes } from './routes.js';
import { RetainedCopy } from './retained.js';
import { MQTT_TABLES, RuleStore } from './rules.js';
import { MqttService } from './service.js';
import { mqttStats } from './stats.js';
import { type Behavior, dispatch, implement, MoboError } from '../../runtime/index.js';

/**
 * MagMQTT: the embedded MQTT 3.1.1 broker (aedes) as a component of the edge group. Its
 * POST is binding its ports; a crash restarts the broker only (devices reconnect, sessions
 * are in the persistence). Messages `mqtt.clients|kick|stats|rule.add|rule.list|rule.remove`.
 */
export const mqttSlot: ActorSlot = {
  name: 'mqtt',
  group: 'edge',
  mailbox: { concurrency: 8 },
  config: mqttConfig,
  errors: mqttErrors,
  protocol: mqttProtocol,
  routes: mountMqttAdminRoutes,
  behavior: (board: Board): Behavior => {
    const config = mqttConfig.of(board.configStore.current());
    const stats = mqttStats(board);
    const rules = new RuleStore(controlStore(board));
    let service: MqttService | undefined;
    const running = (): MqttService => {
      if (!service) throw new MoboError('MQTT_DISABLED');
      return service;
    };
    const rulesChanged = <T>(value: T): T => {
      board.system.events.emit('mqtt.rules.changed', { node: board.nodeId });
      return value;
    };

    const handlers = implement(mqttProtocol, {
      'mqtt.clients': (input) => running().clients(input?.project),
      'mqtt.kick': ({ clientId }) => running().kick(clientId),
      'mqtt.stats': () => ({ node: board.nodeId, enabled: config.enabled, listening: service?.bound ?? null, ...stats.snapshot() }),
      'mqtt.rule.add': async (input) => rulesChanged(await rules.add(input, board.system.clock.now())),
      'mqtt.rule.list': (input) => rules.list(input?.project),
      'mqtt.rule.remove': async ({ project, id }) => rulesChanged(await rules.remove(project, id)),
    });

    return {
      async start(ctx) {
        await ensureTables(controlStore(board), MQTT_TABLES);
        if (!config.enabled) return;
        service = new MqttService(board, config, gatekeeperFor(board), rules, new RetainedCopy(controlStore(board)), stats, ctx.log);
        const bound = await service.start();
        ctx.log.info('mqtt listening', { host: config.host, ...bound });
      },
      receive: (msg, ctx) => dispatch(handlers, msg, ctx),
      health: () => ({ status: 'ok', details: { enabled: config.enabled, connections: service?.devices.all().length ?? 0, listening: service?.bound ?? null } }),
      async stop() {
        await service?.stop();
        service = undefined;
        stats.connections = 0;
      },
    };
  },
};
