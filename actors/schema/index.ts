export { schemaSlot } from './schema-actor.js';
export { schemaConfig } from './config.js';
export { schemaErrors } from './errors.js';
export { schemaProtocol } from './protocol.js';
