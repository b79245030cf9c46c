export { mqttSlot } from './mqtt-actor.js';
export { mqttConfig, type MqttConfig } from './config.js';
export { mqttErrors } from './errors.js';
export { mqttProtocol } from './protocol.js';
export { mqttStats } from './stats.js';
export { onMqttPublish, MQTT_SECURITY_TOPIC, type PublishFacts } from './hooks.js';
