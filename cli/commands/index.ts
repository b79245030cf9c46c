import type { Command } from '../command.js';
import { bootCommand } from './boot.js';
import { chaosKillCommand } from './chaos.js';
import { componentListCommand, componentRestartCommand, componentStartCommand, componentStopCommand } from './component.js';
import { healthCheckCommand, healthReportCommand, healthWatchCommand } from './health.js';
import { initCommand } from './init.js';
import { shutdownCommand, statusCommand } from './node.js';
import { bridgeCopyCommand } from './bridge.js';
import { ACCESS_COMMANDS } from './access.js';
import { AUTH_COMMANDS } from './auth.js';
import { OWNER_COMMANDS } from './owner.js';
import { BACKUP_COMMANDS } from './backup.js';
import { CLUSTER_COMMANDS } from './cluster.js';
import { MQTT_COMMANDS } from './mqtt.js';
import { SENTINEL_COMMANDS } from './sentinel.js';
import { SCHEMA_COMMANDS } from './schema.js';
import { MIGRATE_COMMANDS } from './migrate.js';
import {
  dbTablesCommand,
  projectCreateCommand,
  projectDeleteCommand,
  projectListCommand,
  sourceAddCommand,
  sourceListCommand,
  sourceRemoveCommand,
  sourceTestCommand,
} from './project.js';

export const COMMANDS: readonly Command[] = [
  initCommand,
  bootCommand,
  statusCommand,
  shutdownCommand,
  componentListCommand,
  componentStartCommand,
  componentStopCommand,
  componentRestartCommand,
  healthCheckCommand,
  healthReportCommand,
  healthWatchCommand,
  chaosKillCommand,
  ...CLUSTER_COMMANDS,
  projectCreateCommand,
  projectListCommand,
  projectDeleteCommand,
  sourceAddCommand,
  sourceListCommand,
  sourceRemoveCommand,
  sourceTestCommand,
  dbTablesCommand,
  ...SCHEMA_COMMANDS,
  ...MIGRATE_COMMANDS,
  bridgeCopyCommand,
  ...AUTH_COMMANDS,
  ...OWNER_COMMANDS,
  ...ACCESS_COMMANDS,
  ...BACKUP_COMMANDS,
  ...MQTT_COMMANDS,
  ...SENTINEL_COMMANDS,
];
