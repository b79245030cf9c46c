export * from './child.js';
export * from './strategy.js';
export * from './intensity.js';
export * from './backoff.js';
export * from './boot-order.js';
export * from './health.js';
export * from './supervisor.js';
