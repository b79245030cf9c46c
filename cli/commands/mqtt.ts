import { mqttErrors } from '../../actors/mqtt/errors.js';
import type { StatsView } from '../../actors/mqtt/protocol.js';
import type { Rule } from '../../actors/mqtt/rules.js';
import type { ClientView } from '../../actors/mqtt/service.js';
import { flagString, required, usage, type ParsedArgs } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { table } from '../output.js';
import { client } from './node.js';
import { registerErrors } from '../../runtime/index.js';

// The CLI does not boot the components: it knows MagMQTT's codes so that a *_NOT_FOUND exits 5.
registerErrors('mqtt', mqttErrors.defs);

const q = (args: ParsedArgs): string => {
  const project = flagString(args, 'project');
  return project ? `?project=${encodeURIComponent(project)}` : '';
};

export const mqttClientsCommand: Command = {
  name: 'mqtt:clients',
  summary: 'List the MQTT clients connected to the node',
  usage: 'mobo mqtt:clients [--project P] [--json]',
  flags: { project: 'string' },
  async run(args, out) {
    const rows = await client(args).get<ClientView[]>(`/v1/admin/mqtt/clients${q(args)}`);
    out.result(rows, () =>
      rows.length === 0
        ? 'no MQTT clients connected'
        : table([['CLIENT', 'PROJECT', 'WHO', 'IP', 'SESSION', 'SINCE', 'SUBSCRIPTIONS'], ...rows.map((r) => [r.clientId, r.project, `${r.kind}:${r.subject}`, r.ip, r.clean ? 'clean' : 'persistent', r.connectedAt, r.subscriptions.join(' ')])]),
    );
    return EXIT.OK;
  },
};

export const mqttKickCommand: Command = {
  name: 'mqtt:kick',
  summary: 'Disconnect an MQTT client (its session and will stay as MQTT says)',
  usage: 'mobo mqtt:kick <client-id> [--json]',
  flags: {},
  details: 'Exit 5 when no client with that id is connected to this node (MQTT_CLIENT_NOT_FOUND).',
  async run(args, out) {
    const id = required(args, 0, 'a client id', 'mqtt:kick');
    const done = await client(args).post<{ clientId: string }>(`/v1/admin/mqtt/clients/${encodeURIComponent(id)}/kick`);
    out.result(done, () => `kicked ${done.clientId}`);
    return EXIT.OK;
  },
};

export const mqttStatsCommand: Command = {
  name: 'mqtt:stats',
  summary: 'MQTT on this node: listeners, connections, messages by QoS, ingest rows, dead letters',
  usage: 'mobo mqtt:stats [--json]',
  flags: {},
  async run(args, out) {
    const s = await client(args).get<StatsView>('/v1/admin/mqtt/stats');
    const ports = s.listening ? Object.entries(s.listening).map(([k, v]) => `${k} ${v}`).join(', ') : 'not listening';
    const qos = (m: Record<string, number>) => `${m.qos0 ?? 0} / ${m.qos1 ?? 0} / ${m.qos2 ?? 0}`;
    out.result(s, () =>
      s.enabled
        ? [
            `node ${s.node} · ${ports}`,
            `connections  ${s.connections}`,
            `messages in  ${qos(s.messagesIn)} (QoS 0 / 1 / 2)`,
            `messages out ${qos(s.messagesOut)}`,
            `ingest rows  ${s.ingestRows}`,
            `dead letters ${s.deadLetters}`,
            `refused      ${Object.entries(s.refused).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
          ].join('\n')
        : `MQTT is off on node ${s.node} (set mqtt.enabled)`,
    );
    return EXIT.OK;
  },
};

export const mqttRulesCommand: Command = {
  name: 'mqtt:rules',
  summary: 'List the ingest rules (MQTT topics written into tables)',
  usage: 'mobo mqtt:rules [--project P] [--json]',
  flags: { project: 'string' },
  async run(args, out) {
    const rows = await client(args).get<Rule[]>(`/v1/admin/mqtt/rules${q(args)}`);
    out.result(rows, () =>
      rows.length === 0 ? 'no ingest rules' : table([['ID', 'PROJECT', 'TOPIC', 'INTO', 'MAP'], ...rows.map((r) => [r.id, r.project, r.topic, `${r.source}.${r.table}`, r.map ? JSON.stringify(r.map) : '(payload is the row)'])]),
    );
    return EXIT.OK;
  },
};

export const mqttRuleAddCommand: Command = {
  name: 'mqtt:rule:add',
  summary: 'Write the messages of a topic filter into a table',
  usage: "mobo mqtt:rule:add <project> '<topic filter>' --into <source>.<table> [--map '{\"col\":\"$topic[1]\",\"temp\":\"$.t\"}'] [--json]",
  flags: { into: 'string', map: 'string' },
  details:
    'The filter is below the project (devices/+/telemetry means <project>/devices/+/telemetry). Map expressions: $topic[N] (level N below the project), $.a.b (JSON payload field), $payload, $clientId, $subject, $now; other values are constants. Without --map the JSON payload object is the row. A QoS 1 PUBACK is sent once the row is committed; what does not fit goes to <project>/dead-letter/<rule id>.',
  async run(args, out) {
    const project = required(args, 0, 'a project', 'mqtt:rule:add');
    const topic = required(args, 1, 'a topic filter', 'mqtt:rule:add');
    const into = flagString(args, 'into');
    if (!into) throw usage('--into <source>.<table> is required');
    const mapText = flagString(args, 'map');
    let map: unknown;
    if (mapText !== undefined) {
      try {
        map = JSON.parse(mapText);
      } catch {
        throw usage(`--map must be a JSON object, got ${mapText}`);
      }
    }
    const rule = await client(args).post<Rule>(`/v1/admin/projects/${encodeURIComponent(project)}/mqtt/rules`, { topic, into, ...(map === undefined ? {} : { map }) });
    out.result(rule, () => `rule ${rule.id}: ${project}/${rule.topic} → ${rule.source}.${rule.table}`);
    return EXIT.OK;
  },
};

export const mqttRuleRemoveCommand: Command = {
  name: 'mqtt:rule:remove',
  summary: 'Remove an ingest rule',
  usage: 'mobo mqtt:rule:remove <project> <rule-id> [--json]',
  flags: {},
  async run(args, out) {
    const project = required(args, 0, 'a project', 'mqtt:rule:remove');
    const id = required(args, 1, 'a rule id', 'mqtt:rule:remove');
    const rule = await client(args).delete<Rule>(`/v1/admin/projects/${encodeURIComponent(project)}/mqtt/rules/${encodeURIComponent(id)}`);
    out.result(rule, () => `removed rule ${rule.id}`);
    return EXIT.OK;
  },
};

export const MQTT_COMMANDS: readonly Command[] = [mqttClientsCommand, mqttKickCommand, mqttStatsCommand, mqttRulesCommand, mqttRuleAddCommand, mqttRuleRemoveCommand];
