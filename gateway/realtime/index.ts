export { mountRealtime } from './mount.js';
export { appDirectory, type AppDirectory, type RealtimeApp } from './apps.js';
export { dbChannel, parseDbChannel, DB_CHANNEL_PREFIX } from './db-channels.js';
export { AUTH_PATH } from './auth-endpoint.js';
export { signChannel, signRequest, verifyRequest } from './signatures.js';
