export type { AccessGrant, AccessRequest, Gatekeeper, Operation, Principal } from './principal.js';
export { BUILT_IN_ROLES } from './principal.js';
export { authSlot } from './auth-actor.js';
export { createGatekeeper, gatekeeperFor, type AuthGatekeeper, type GatekeeperOptions } from './gatekeeper.js';
export { ROLE_MATRIX } from './roles.js';
export { ACCESS_TTL_S, REFRESH_TTL_MS, DEFAULT_ISSUER, PROJECT_CLAIM, audience } from './policy.js';
export { keyProtocol } from './protocol.js';
