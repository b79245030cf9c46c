export { sentinelConfigSchema, type SentinelConfig } from './config.js';
export { SqlGuard, decide, resolveBands, type Bands, type Decision, type Scored } from './sqlguard/sqlguard.js';
export { defaultManifestPath } from './sqlguard/model-file.js';
