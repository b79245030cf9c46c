import { edgeSlots } from '../gateway/http-slot.js';
import type { ComponentSlot } from './board.js';
import { cacheSlot } from './kernel/cache-actor.js';
import { configSlot } from './kernel/config-actor.js';
import { controlSlot } from './kernel/control-actor.js';
import { healthSlot } from './kernel/health-actor.js';
import { loggerSlot } from './kernel/logger-actor.js';
import { registrySlot } from './kernel/registry-actor.js';
import { stateSlot } from './kernel/state-actor.js';
import { storeSlot } from './kernel/store-slot.js';
import { catalogSlot, dsPoolSlot } from './ds/catalog.js';
import { bridgeSlot } from './bridge/bridge-actor.js';
import { authSlot } from './auth/auth-actor.js';
import { backupSlots } from './backup/index.js';
import { mqttSlot } from './mqtt/index.js';
import { sentinelSlot } from './sentinel/index.js';
import { schemaSlot } from './schema/index.js';

/** Every component a node runs, in the groups of the motherboard. New components plug in here: one line each (docs/plugin-contract.md). */
export function defaultSlots(): ComponentSlot[] {
  return [configSlot, loggerSlot, registrySlot, stateSlot, cacheSlot, storeSlot, healthSlot, controlSlot, authSlot, sentinelSlot, dsPoolSlot, catalogSlot, schemaSlot, ...edgeSlots, mqttSlot, bridgeSlot, ...backupSlots()];
}
