import type { AppDirectory } from './apps.js';
import { changeData, dbChannel, type DataChange } from './db-channels.js';
import type { RealtimePublisher } from './publisher.js';
import { describeError, type EventBus, type Logger, topics } from '../../runtime/index.js';

/**
 * Connector mode: each change this node observes goes to the external server on the
 * table's channel, unfiltered (the auth endpoint refuses those channels to principals with
 * a row rule). Projects without a configured app are skipped.
 */
export function forwardChanges(events: EventBus, apps: AppDirectory, publisher: RealtimePublisher, log: Logger): () => void {
  const forward = async (change: DataChange): Promise<void> => {
    const app = await apps.forProject(change.project);
    await publisher.trigger(app, { channels: [dbChannel(change.source, change.table)], event: change.op, data: changeData(change) });
  };
  // Not awaited: the bus is node-wide, and retries against a slow external server must not hold it.
  return events.on<DataChange>(topics.data.all, ({ payload: change }) => {
    forward(change).catch((err: unknown) => {
      log.warn('realtime change not forwarded', { project: change.project, source: change.source, table: change.table, error: describeError(err) });
    });
  });
}
