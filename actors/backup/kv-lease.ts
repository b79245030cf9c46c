/**
 * The cluster's schedule lease: a JetStream KV entry holding the last claimed due time,
 * advanced by compare-and-set on its revision. Two nodes waking for the same due time race;
 * the revision lets exactly one write win. (This file owns its NATS connection until
 * cluster/ offers shared singletons.)
 */
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ScheduleLease } from './lease.js';

const KEY = 'schedule';

export class KvLease implements ScheduleLease {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
  ) {}

  static async open(servers: string, bucket = 'mobo_backup'): Promise<KvLease> {
    const nc = await connect({ servers, name: 'mobo-backup-lease', maxReconnectAttempts: -1 });
    try {
      return new KvLease(nc, await new Kvm(nc).create(bucket, { history: 1 }));
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  async claim(dueAt: number): Promise<boolean> {
    const entry = await this.kv.get(KEY);
    const claimed = entry && entry.operation === 'PUT' ? Number(entry.string()) : undefined;
    if (claimed !== undefined && claimed >= dueAt) return false;
    try {
      if (entry) await this.kv.update(KEY, String(dueAt), entry.revision);
      else await this.kv.create(KEY, String(dueAt));
      return true;
    } catch (err) {
      // Lost the race (the revision moved), or the write failed: only the former is an answer.
      const now = await this.kv.get(KEY);
      if (now && Number(now.string()) >= dueAt) return false;
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}
