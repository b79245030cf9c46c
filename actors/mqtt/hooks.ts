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

const hooks = new WeakMap<Board, Set<PublishHook>>();

export function onMqttPublish(board: Board, hook: PublishHook): () => void {
  let set = hooks.get(board);
  if (!set) hooks.set(board, (set = new Set()));
  set.add(hook);
  return () => set.delete(hook);
}

export function runPublishHooks(board: Board, facts: PublishFacts): void {
  const set = hooks.get(board);
  if (!set) return;
  for (const hook of set) {
    try {
      hook(facts);
    } catch {
      // A hook never breaks a publish.
    }
  }
}

export const MQTT_SECURITY_TOPIC = 'security.mqtt';
