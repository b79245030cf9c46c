/**
 * MagWS's wire between nodes: transport topics `rt.<kind>` (NATS subjects in a cluster,
 * in-process on an embedded node). Every message carries its node id; a node hears its
 * own messages too (the local fast path), and handlers that already applied them skip them.
 * A hub is named by its node's run (`<node id>.<membership incarnation>`) and a random
 * suffix, so a restarted node is a new peer (its old self's state goes when the membership
 * declares that run down) and two processes reusing a node id never mix.
 */
import { randomBytes } from 'node:crypto';
import type { Listener, Transport } from '../../runtime/index.js';

export interface LinkMessage {
  /** The sending hub: `<node id>.<membership incarnation>.<random>`. */
  n: string;
}

export class ClusterLink {
  private readonly listeners: Listener[] = [];
  private closed = false;

  readonly nodeId: string;

  constructor(
    private readonly transport: Transport,
    node: string,
  ) {
    this.nodeId = `${node}.${randomBytes(6).toString('hex')}`;
  }

  get clustered(): boolean {
    return this.transport.kind !== 'local';
  }

  /** Messages the transport refused (closed or down): realtime is best-effort, like Pusher's; presence resyncs on the next join. */
  dropped = 0;

  send<T extends object>(kind: string, payload: T): void {
    if (this.closed) return;
    try {
      this.transport.publish(`rt.${kind}`, { ...payload, n: this.nodeId });
    } catch {
      this.dropped++;
    }
  }

  on<T extends LinkMessage>(kind: string, handler: (msg: T) => void, opts: { ownToo?: boolean } = {}): void {
    this.listeners.push(
      this.transport.subscribe(`rt.${kind}`, (_topic, data) => {
        const msg = data as T;
        if (this.closed || !msg || typeof msg.n !== 'string') return;
        if (msg.n === this.nodeId && !opts.ownToo) return;
        handler(msg);
      }),
    );
  }

  /** Resolves once this node's subscriptions are in effect everywhere. */
  ready(): Promise<void> {
    return this.transport.flush();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.listeners.splice(0).map((l) => l.close()));
  }
}
