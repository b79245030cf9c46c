/**
 * The cluster's lease: a JetStream KV entry holding the last claimed term, advanced by
 * compare-and-set on its revision. Nodes claiming the same term race; the revision lets
 * exactly one write win.
 */
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DEFAULT_REPLICAS, natsServers } from '../runtime/index.js';
import type { Lease } from './lease.js';

export interface KvLeaseOptions {
  servers: string;
  /** Replicas of the bucket when this creates it (runtime/nats-servers.ts). */
  replicas?: number;
  /** One bucket per kind of singleton, e.g. `mobo_backup`. */
  bucket: string;
  key: string;
}

export class KvLease implements Lease {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly key: string,
  ) {}

  static async open(opts: KvLeaseOptions): Promise<KvLease> {
    const nc = await connect({ servers: natsServers(opts.servers), name: `mobo-lease-${opts.bucket}`, maxReconnectAttempts: -1 });
    try {
      return new KvLease(nc, await new Kvm(nc).create(opts.bucket, { history: 1, replicas: opts.replicas ?? DEFAULT_REPLICAS }), opts.key);
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  async claim(term: number): Promise<boolean> {
    const entry = await this.kv.get(this.key);
    const claimed = entry && entry.operation === 'PUT' ? Number(entry.string()) : undefined;
    if (claimed !== undefined && claimed >= term) return false;
    try {
      if (entry) await this.kv.update(this.key, String(term), entry.revision);
      else await this.kv.create(this.key, String(term));
      return true;
    } catch (err) {
      // Lost the race (the revision moved), or the write failed: only the former is an answer.
      const now = await this.kv.get(this.key);
      if (now && Number(now.string()) >= term) return false;
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}
