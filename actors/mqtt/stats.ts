import { ServiceKey } from '../../runtime/index.js';
import type { Board } from '../board.js';

/** MagMQTT's counters on this node, rendered into `GET /metrics` and answered by `mobo mqtt:stats`. */
export class MqttStats {
  connections = 0;
  readonly messagesIn = [0, 0, 0];
  readonly messagesOut = [0, 0, 0];
  readonly ingestRows = new Map<string, number>();
  readonly deadLetters = new Map<string, number>();
  readonly refused = new Map<string, number>();

  bump(map: Map<string, number>, key: string, by = 1): void {
    map.set(key, (map.get(key) ?? 0) + by);
  }

  snapshot() {
    const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    return {
      connections: this.connections,
      messagesIn: { qos0: this.messagesIn[0]!, qos1: this.messagesIn[1]!, qos2: this.messagesIn[2]! },
      messagesOut: { qos0: this.messagesOut[0]!, qos1: this.messagesOut[1]!, qos2: this.messagesOut[2]! },
      ingestRows: sum(this.ingestRows),
      deadLetters: sum(this.deadLetters),
      refused: Object.fromEntries(this.refused),
    };
  }

  /** Prometheus text format. */
  render(): string {
    const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    const lines = ['# HELP mobo_mqtt_connections MQTT clients connected to this node', '# TYPE mobo_mqtt_connections gauge', `mobo_mqtt_connections ${this.connections}`];
    const counter = (name: string, help: string, rows: Array<[string, number]>) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [labels, v] of rows) lines.push(`${name}{${labels}} ${v}`);
    };
    counter('mobo_mqtt_messages_in_total', 'PUBLISH packets received by QoS', this.messagesIn.map((v, q) => [`qos="${q}"`, v]));
    counter('mobo_mqtt_messages_out_total', 'Messages delivered to clients by QoS (QoS 1: acknowledged by the client; QoS 0 and 2: sent)', this.messagesOut.map((v, q) => [`qos="${q}"`, v]));
    counter('mobo_mqtt_ingest_rows_total', 'Rows written by ingest rules', [...this.ingestRows].map(([k, v]) => [`project="${esc(k)}"`, v]));
    counter('mobo_mqtt_dead_letters_total', 'Messages an ingest rule could not write, by project and error code', [...this.deadLetters].map(([k, v]) => {
      const [project, code] = k.split('\n');
      return [`project="${esc(project!)}",code="${esc(code!)}"`, v];
    }));
    counter('mobo_mqtt_refused_total', 'Connections, publishes and subscriptions refused, by kind', [...this.refused].map(([k, v]) => [`kind="${esc(k)}"`, v]));
    return lines.join('\n') + '\n';
  }
}

const STATS = new ServiceKey<MqttStats>('mqtt.stats');

/** The node's counters, held by its actor system: they outlive restarts of the broker, as Prometheus counters must. */
export function mqttStats(board: Board): MqttStats {
  return board.system.services.shared(STATS, () => new MqttStats());
}
