export { mqttSlot } from './mqtt-actor.js';
export { mqttConfig, type MqttConfig } from './config.js';
export { MQTT_ERRORS } from './errors.js';
export { mqttStats } from './stats.js';
export { onMqttPublish, MQTT_SECURITY_TOPIC, type PublishFacts } from './hooks.js';
export { mountMqttAdminRoutes } from './routes.js';
