import { isMoboError, ServiceKey } from '../../runtime/index.js';
import type { Board } from '../board.js';
import { sentinelConfig, sentinelFor } from '../sentinel/index.js';
import { ConnectRefused } from './broker.js';

/**
 * Where MagSentinel plugs in. Connections and refusals are events on the bus
 * (`security.mqtt.connected|disconnected|auth_failed|refused`, across nodes); every publish
 * is far too many for the bus, so publishes reach in-process hooks instead. A hook must not
 * block: it runs on the publish path, its errors are ignored.
 */
export interface PublishFacts {
  project: string;
  clientId: string;
  subject: string;
  topic: string;
  qos: number;
  bytes: number;
  ip: string;
}

export type PublishHook = (facts: PublishFacts) => void;

/** The node's publish hooks, held by its actor system (every component's board reaches the same set). */
const HOOKS = new ServiceKey<Set<PublishHook>>('mqtt.publish-hooks');
const hooks = (board: Board): Set<PublishHook> => board.system.services.shared(HOOKS, () => new Set<PublishHook>());

export function onMqttPublish(board: Board, hook: PublishHook): () => void {
  const set = hooks(board);
  set.add(hook);
  return () => set.delete(hook);
}

export function runPublishHooks(board: Board, facts: PublishFacts): void {
  for (const hook of hooks(board)) {
    try {
      hook(facts);
    } catch {
      // A hook never breaks a publish.
    }
  }
}

export const MQTT_SECURITY_TOPIC = 'security.mqtt';

/** Who connects: the client id, its address, and the principal its credential named. */
export interface ConnectFacts {
  clientId: string;
  ip: string;
  project: string;
  subject: string;
  kind: string;
}

/** MagSentinel's hooks run only while it is on: off, MQTT pays one config lookup. */
const sentinelOn = (board: Board): boolean => sentinelConfig.of(board.configStore.current()).enabled;

/**
 * MagSentinel's check before CONNACK: a blocked client id, IP, API key or user is refused
 * (CONNACK 5, not authorized). Failed CONNECTs reach Sentinel as `security.mqtt.auth_failed`.
 */
export function checkConnect(board: Board, c: ConnectFacts): void {
  if (!sentinelOn(board)) return;
  try {
    sentinelFor(board).checkMqttClient({ clientId: c.clientId, ip: c.ip, ...(c.kind === 'api_key' ? { keyId: c.subject } : { user: `${c.project}/${c.subject}` }) });
  } catch (err) {
    if (isMoboError(err) && err.code === 'SENTINEL_BLOCKED') throw new ConnectRefused(5, 'blocked');
    throw err;
  }
}

/**
 * MagSentinel's look at a publish an ingest rule will write (`ingested()`: does one match),
 * before it is written: SQLGuard scores its strings, and in block mode an attack is refused
 * (the publish fails, which closes the connection) with a `security.threat` event; in
 * monitor mode it passes and the event says what would have happened.
 */
export function inspectPublish(board: Board, facts: PublishFacts, payload: Buffer, ingested: () => boolean): Promise<void> | undefined {
  // Undefined (no promise, no async hop) when there is nothing to inspect: the hot publish path stays synchronous.
  if (!sentinelOn(board) || !ingested()) return undefined;
  return sentinelFor(board).inspectMqttPayload({ clientId: facts.clientId, ip: facts.ip, topic: facts.topic, payload });
}
