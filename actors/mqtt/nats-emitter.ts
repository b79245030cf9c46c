/**
 * An mqemitter whose messages cross the nodes of a cluster over the node's own transport
 * (NATS subject `mobo.t.mqtt.m`): matching stays local (mqemitter's trie), every node hears
 * every message once and delivers it to its own subscribers, as mqemitter-redis does over
 * Redis. Table-change topics (`<project>/db/…`) stay on the node: each node publishes the
 * changes it observes itself, so forwarding them would deliver them twice.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Listener, Transport } from '../../runtime/index.js';

const require = createRequire(import.meta.url);
const mqemitter = require('mqemitter') as (opts: { concurrency?: number; matchEmptyLevels?: boolean }) => Emitter;

type Packet = Record<string, unknown> & { topic: string; payload?: unknown };
type Notify = (packet: Packet, done: () => void) => void;
interface Emitter {
  on(topic: string, notify: Notify, done?: () => void): unknown;
  removeListener(topic: string, notify: Notify, done?: () => void): void;
  emit(packet: Packet, done?: (err?: Error) => void): void;
  close(done: () => void): void;
}

interface Frame {
  o: string;
  k: Packet;
  p: string;
}

const SUBJECT = 'mqtt.m';
const LOCAL_ONLY = /^[^/]+\/db\//;

export class NatsEmitter implements Emitter {
  private readonly local: Emitter;
  private readonly origin = randomBytes(8).toString('hex');
  private readonly wire: Listener;
  dropped = 0;

  constructor(private readonly transport: Transport, concurrency = 100) {
    this.local = mqemitter({ concurrency, matchEmptyLevels: true });
    this.wire = transport.subscribe(SUBJECT, (_subject, data) => {
      const frame = data as Frame;
      if (!frame || frame.o === this.origin || typeof frame.k?.topic !== 'string') return;
      this.local.emit({ ...frame.k, payload: Buffer.from(frame.p, 'base64') });
    });
  }

  on(topic: string, notify: Notify, done?: () => void): this {
    this.local.on(topic, notify, done);
    return this;
  }

  removeListener(topic: string, notify: Notify, done?: () => void): void {
    this.local.removeListener(topic, notify, done);
  }

  emit(packet: Packet, done?: (err?: Error) => void): void {
    if (!LOCAL_ONLY.test(packet.topic)) {
      const payload = packet.payload;
      const p = Buffer.isBuffer(payload) ? payload.toString('base64') : Buffer.from(String(payload ?? '')).toString('base64');
      try {
        this.transport.publish(SUBJECT, { o: this.origin, k: { ...packet, payload: undefined }, p } satisfies Frame);
      } catch {
        // The transport is down: local subscribers still get it; the cluster misses it, as with any broker partition.
        this.dropped++;
      }
    }
    this.local.emit(packet, done);
  }

  close(done: () => void): void {
    void this.wire.close().finally(() => this.local.close(done));
  }
}
