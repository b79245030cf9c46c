/**
 * MagMQTT's error codes, plain data merged into the node's one catalogue. `mqtt` is the
 * CONNACK return code (MQTT 3.1.1) a connection refused with this code gets.
 */
export const MQTT_ERRORS = {
  MQTT_PORT_IN_USE: { status: 500, message: 'The MQTT port is already in use' },
  MQTT_LISTEN_FAILED: { status: 500, message: 'The MQTT listener could not start' },
  MQTT_TLS_INVALID: { status: 400, message: 'The MQTT TLS certificate or key could not be read' },
  MQTT_CLIENT_NOT_FOUND: { status: 404, message: 'No MQTT client with that id is connected to this node' },
  MQTT_RULE_NOT_FOUND: { status: 404, message: 'No ingest rule with that id' },
  MQTT_RULE_INVALID: { status: 400, message: 'The ingest rule is invalid' },
  MQTT_TOPIC_INVALID: { status: 400, message: 'The topic or topic filter is invalid' },
  MQTT_PAYLOAD_INVALID: { status: 422, message: 'The payload does not fit the ingest rule' },
  MQTT_DISABLED: { status: 409, message: 'MQTT is not enabled on this node (mqtt.enabled)' },
} as const satisfies Record<string, { status: number; message: string }>;
