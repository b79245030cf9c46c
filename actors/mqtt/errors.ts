import { defineErrors } from '../../runtime/index.js';

/** MagMQTT's error codes, merged into the node's one catalogue when the component plugs in. */
export const mqttErrors = defineErrors({
  MQTT_PORT_IN_USE: { status: 500, message: 'The MQTT port is already in use' },
  MQTT_LISTEN_FAILED: { status: 500, message: 'The MQTT listener could not start' },
  MQTT_TLS_INVALID: { status: 400, message: 'The MQTT TLS certificate or key could not be read' },
  MQTT_CLIENT_NOT_FOUND: { status: 404, message: 'No MQTT client with that id is connected to this node' },
  MQTT_RULE_NOT_FOUND: { status: 404, message: 'No ingest rule with that id' },
  MQTT_PAYLOAD_INVALID: { status: 422, message: 'The payload does not fit the ingest rule', mqtt: 0x99 },
  MQTT_RULE_INVALID: { status: 400, message: 'The ingest rule is invalid' },
  MQTT_DISABLED: { status: 409, message: 'MQTT is not enabled on this node (mqtt.enabled)' },
});

declare module '../../runtime/errors.js' {
  interface ComponentErrorCodes {
    MQTT_PORT_IN_USE: true;
    MQTT_LISTEN_FAILED: true;
    MQTT_TLS_INVALID: true;
    MQTT_CLIENT_NOT_FOUND: true;
    MQTT_RULE_NOT_FOUND: true;
    MQTT_PAYLOAD_INVALID: true;
    MQTT_RULE_INVALID: true;
    MQTT_DISABLED: true;
  }
}
