import { CONNECTOR, TRIGGER, type TriggerMessage } from '../../actors/realtime/connector-actor.js';
import type { Board } from '../../actors/board.js';
import type { RealtimePublisher } from './publisher.js';

/** Connector mode: events go to the external server through the connector actor (which retries). */
export function connectorPublisher(board: Board, timeoutMs: number): RealtimePublisher {
  const ref = board.system.ref(board.address(CONNECTOR), 'realtime');
  return {
    async trigger(app, e) {
      const msg: TriggerMessage = { project: app.project, channels: e.channels, event: e.event, data: e.data };
      if (e.exclude !== undefined) msg.exclude = e.exclude;
      await ref.ask(TRIGGER, msg, { timeoutMs });
    },
  };
}
