import { where } from '../auth/records.js';
import type { DataClient } from '../ds/protocol.js';
import type { Message } from './broker.js';
import type { Row } from '../../adapters/index.js';

export const RETAINED_TABLE = 'mobo_mqtt_retained';

export class RetainedCopy {
  /** Writes of one topic run one after another, in publish order. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly store: DataClient) {}

  record(message: Message, now: number): Promise<void> {
    const previous = this.queues.get(message.topic) ?? Promise.resolve();
    const next = previous.then(() => this.write(message, now));
    const settled = next.catch(() => undefined);
    this.queues.set(message.topic, settled);
    void settled.then(() => this.queues.get(message.topic) === settled && this.queues.delete(message.topic));
    return next;
  }

  async all(): Promise<Message[]> {
    const rows = await this.store.select({ table: RETAINED_TABLE, order: [{ column: 'topic', direction: 'asc' }] });
    return rows.map((r) => ({ topic: String(r.topic), payload: Buffer.from(String(r.payload_base64), 'base64'), qos: Number(r.qos) as 0 | 1 | 2, retain: true }));
  }

  private async write(message: Message, now: number): Promise<void> {
    const key = where({ topic: message.topic });
    if (message.payload.length === 0) {
      await this.store.delete(RETAINED_TABLE, key, false);
      return;
    }
    const row: Row = { topic: message.topic, payload_base64: message.payload.toString('base64'), qos: message.qos, updated_at: new Date(now).toISOString() };
    await this.store.batch([
      { op: 'delete', table: RETAINED_TABLE, where: key },
      { op: 'insert', table: RETAINED_TABLE, rows: [row] },
    ]);
  }
}
