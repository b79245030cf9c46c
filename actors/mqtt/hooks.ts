import { ServiceKey } from '../../runtime/index.js';
import type { Board } from '../board.js';

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
