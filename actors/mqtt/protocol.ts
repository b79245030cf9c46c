import { z } from 'zod';
import { resourceName } from '../ds/names.js';
import type { Bound } from './listeners.js';
import { ruleInput, type Rule } from './rules.js';
import type { ClientView } from './service.js';
import type { MqttStats } from './stats.js';
import { defineProtocol, reply } from '../../runtime/index.js';

const projectOnly = z.object({ project: resourceName.optional() }).nullish();

export interface StatsView extends ReturnType<MqttStats['snapshot']> {
  node: string;
  enabled: boolean;
  listening: Bound | null;
}

/** The messages the `mqtt` actor answers (the CLI reaches them through the operator API). */
export const mqttProtocol = defineProtocol({
  'mqtt.clients': { payload: projectOnly, reply: reply<ClientView[]>() },
  'mqtt.kick': { payload: z.object({ clientId: z.string().min(1).max(65_535) }), reply: reply<{ clientId: string; kicked: true }>() },
  'mqtt.stats': { payload: z.null().optional(), reply: reply<StatsView>() },
  'mqtt.rule.add': { payload: ruleInput, reply: reply<Rule>() },
  'mqtt.rule.list': { payload: projectOnly, reply: reply<Rule[]>() },
  'mqtt.rule.remove': { payload: z.object({ project: resourceName, id: z.string().min(1).max(100) }), reply: reply<Rule>() },
});
