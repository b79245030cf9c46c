/**
 * How the catalog sets up a source's change capture: its capture key (names the replication
 * slot, publication and change stream: unique per source and cluster, or per node when
 * embedded) and, in cluster mode, the relay that runs its reader as a cluster singleton and
 * carries the changes over JetStream (cluster/change-relay.ts). Each connection actor gets a
 * relay of its own, whose NATS connection opens with its feed and closes with it, so nothing
 * outlives the actor; embedded nodes never load the NATS client.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { CaptureReader, CapturedChange, ChangeRelay, RelayAttachment } from '../../adapters/index.js';
import { openChangeRelay, type JetStreamChangeRelay } from '../../cluster/index.js';
import type { MoboConfig } from '../../config/index.js';
import { describeError, type Logger } from '../../runtime/index.js';

/** The capture key of a project's source on this node's cluster (or this embedded node). */
export function captureKey(config: Readonly<MoboConfig>, project: string, source: string): string {
  if (config.transport.kind === 'nats') return `${config.transport.cluster}_${project}_${source}`;
  // Two embedded nodes may share a database: the data directory tells them apart.
  const home = createHash('sha256').update(resolve(config.dataDir)).digest('hex').slice(0, 8);
  return `${config.node.id}_${home}_${project}_${source}`;
}

/** The relay of one connection actor: undefined when embedded (the reader runs in the adapter's own process). */
export function changeRelayFor(config: Readonly<MoboConfig>, log: Logger): ChangeRelay | undefined {
  return config.transport.kind === 'nats' ? new ClusterRelay(config, log) : undefined;
}

class ClusterRelay implements ChangeRelay {
  readonly kind = 'jetstream';
  readonly durable = true;

  constructor(
    private readonly config: Readonly<MoboConfig>,
    private readonly log: Logger,
  ) {}

  async attach(key: string, reader: () => CaptureReader, deliver: (change: CapturedChange) => void): Promise<RelayAttachment> {
    const relay = await this.open();
    try {
      const attached = await relay.attach(key, reader, deliver);
      return {
        role: () => attached.role(),
        close: async () => {
          await attached.close();
          await relay.close();
        },
      };
    } catch (err) {
      await relay.close();
      throw err;
    }
  }

  async drop(key: string): Promise<void> {
    const relay = await this.open();
    try {
      await relay.drop(key);
    } finally {
      await relay.close();
    }
  }

  private open(): Promise<JetStreamChangeRelay> {
    return openChangeRelay({
      servers: this.config.transport.natsUrl,
      replicas: this.config.transport.replicas,
      clusterId: this.config.transport.cluster,
      nodeId: this.config.node.id,
      onHolding: (key, holding) => this.log.info(holding ? 'change reader started here' : 'change reader stopped here', { key }),
      // The reader restarts by itself (from the last acknowledged transaction); say why it stopped.
      onError: (key, err) => this.log.warn('change reader failed', { key, error: describeError(err) }),
    });
  }
}
