export { sentinelConfig, type SentinelConfig } from './config.js';
export { sentinelErrors } from './errors.js';
export { SqlGuard, decide, resolveBands, type Bands, type Decision, type Scored } from './sqlguard/sqlguard.js';
export { defaultManifestPath } from './sqlguard/model-file.js';
export { Sentinel, sentinelFor, type Surface } from './sentinel.js';
export { sentinelSlot } from './sentinel-actor.js';
export { mountSentinel } from './routes.js';
export { SENTINEL_ENTRIES } from './entries-store.js';
