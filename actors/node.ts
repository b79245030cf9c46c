import { mkdirSync } from 'node:fs';
import type { Board, ComponentSlot, ConfigStore, TreeControl } from './board.js';
import { SoloCluster, joinNatsCluster, type NatsClusterOptions, type NodeCluster } from '../cluster/index.js';
import { defaultSlots } from './components.js';
import { controlSlot } from './kernel/control-actor.js';
import { lockDataDir, type DataDirLock } from './kernel/data-dir-lock.js';
import { stateSlot } from './kernel/state-actor.js';
import { applyLogSettings } from './kernel/logger-actor.js';
import { buildMotherboard, configSections } from './motherboard.js';
import type { LoadedConfig, LoadOptions, MoboConfig } from '../config/index.js';
import { ActorSystem, describeError, type ExitReason, Logger, type Transport } from '../runtime/index.js';
import type { Supervisor } from '../supervisors/index.js';

export interface NodeOptions {
  loaded: LoadedConfig;
  loadOptions?: LoadOptions;
  slots?: ComponentSlot[];
  log?: Logger;
}

/** Why a node stopped running: an operator asked, or the root supervisor gave up. */
export type NodeEnd = { kind: 'shutdown'; reason: string } | { kind: 'fatal'; error: unknown };

/**
 * One MagMoBoMini node: the transport, the actor system, and the motherboard tree.
 * `start` resolves once every component has passed its POST.
 */
export class MoboNode implements Board {
  readonly nodeId: string;
  readonly configStore: ConfigStore;
  readonly tree: TreeControl & Supervisor;
  /** Resolves when the node should stop (shutdown requested, or a fatal escalation). */
  readonly ended: Promise<NodeEnd>;
  private end!: (end: NodeEnd) => void;
  /** How this run is ending, once known: the state actor records it before the tree stops. */
  private ending: NodeEnd | undefined;
  /** Held from boot to stop: one running node per data directory. */
  private lock: DataDirLock | undefined;

  private constructor(
    readonly system: ActorSystem,
    readonly log: Logger,
    config: Readonly<MoboConfig>,
    loadOptions: LoadOptions,
    slots: readonly ComponentSlot[],
    readonly cluster: NodeCluster,
  ) {
    this.nodeId = config.node.id;
    let current = config;
    this.configStore = { current: () => current, replace: (next) => void (current = next), loadOptions };
    this.ended = new Promise((resolve) => (this.end = (end) => resolve((this.ending ??= end))));
    const placer = cluster.placer;
    this.tree = buildMotherboard(this, slots, config, { clock: system.clock, events: system.events, log, ...(placer ? { placer } : {}) }, [controlSlot.name]);
    this.tree.onExit((reason: ExitReason) => this.end({ kind: 'fatal', error: reason.error }));
    system.events.on('system.config.changed', () => {
      const { health } = this.configStore.current();
      this.tree.configureHealth({ intervalMs: health.intervalMs, timeoutMs: health.timeoutMs, thresholds: health.thresholds });
    });
  }

  /** Builds the node. Call `boot()` to run the POST and start the tree. */
  static async create(opts: NodeOptions): Promise<MoboNode> {
    const config = opts.loaded.config;
    const log = opts.log ?? Logger.stderr();
    applyLogSettings(log, config);
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const transport = await createTransport(config);
    const system = new ActorSystem({ nodeId: config.node.id, transport, log });
    let cluster: NodeCluster;
    try {
      cluster = await joinCluster(config, transport, system);
    } catch (err) {
      await system.shutdown().catch(() => undefined);
      throw err;
    }
    const slots = opts.slots ?? defaultSlots();
    // A reload re-reads the config with the same component sections.
    const loadOptions = { ...(opts.loadOptions ?? { file: opts.loaded.file }), sections: configSections(slots) };
    return new MoboNode(system, log, config, loadOptions, slots, cluster);
  }

  async boot(): Promise<void> {
    try {
      const { dataDir } = this.configStore.current();
      this.lock = lockDataDir(dataDir, this.nodeId);
      await this.tree.start();
    } catch (err) {
      this.releaseLock();
      await this.cluster.leave().catch(() => undefined);
      await this.system.shutdown().catch(() => undefined);
      throw err;
    }
    this.system.events.emit('system.ready', { node: this.nodeId });
  }

  address(component: string): string {
    return `${this.nodeId}.${component}`;
  }

  requestShutdown(reason: string): void {
    this.log.info('shutdown requested', { reason });
    this.end({ kind: 'shutdown', reason });
  }

  /** Stops the tree in reverse order, then the transport. */
  async stop(): Promise<void> {
    const end = this.ending ?? { kind: 'shutdown', reason: 'stopped' };
    const reason = end.kind === 'shutdown' ? end.reason : describeError(end.error);
    await this.system
      .ref(this.address(stateSlot.name))
      .ask('state.ending', { kind: end.kind, reason: reason.slice(0, 500) }, { timeoutMs: 2_000 })
      .catch((err: unknown) => this.log.warn('could not record how this run ends', { error: describeError(err) }));
    // Others stop placing work here while the tree stops (its singletons hand over as they stop).
    await this.cluster.leaving().catch(() => undefined);
    try {
      await this.tree.stop();
    } catch (err) {
      this.log.error('shutdown was not clean', { error: describeError(err) });
    }
    await this.cluster.leave().catch((err: unknown) => this.log.warn('could not leave the cluster cleanly', { error: describeError(err) }));
    await this.system.shutdown();
    this.releaseLock();
  }

  private releaseLock(): void {
    this.lock?.release();
    this.lock = undefined;
  }
}

/** On NATS, joins the cluster's membership on the transport's connection; embedded, a cluster of one. */
async function joinCluster(config: Readonly<MoboConfig>, transport: Transport | undefined, system: ActorSystem): Promise<NodeCluster> {
  if (config.transport.kind !== 'nats' || !transport) return new SoloCluster(config.node.id);
  // The NATS transport shares its connection (runtime/nats-transport.ts `connection`).
  const connection = 'connection' in transport ? (transport as { connection: NatsClusterOptions['connection'] }).connection : undefined;
  return joinNatsCluster({
    servers: config.transport.natsUrl,
    replicas: config.transport.replicas,
    ...(connection ? { connection } : {}),
    clusterId: config.transport.cluster,
    nodeId: config.node.id,
    events: system.events,
    meta: { pid: String(process.pid) },
    ...config.cluster,
  });
}

/** Embedded mode never loads the NATS client. */
async function createTransport(config: Readonly<MoboConfig>): Promise<Transport | undefined> {
  if (config.transport.kind !== 'nats') return undefined;
  const { NatsTransport } = await import('../runtime/nats-transport.js');
  return NatsTransport.connect({ servers: config.transport.natsUrl, replicas: config.transport.replicas, name: `mobo-${config.node.id}`, cluster: config.transport.cluster });
}
