/**
 * MagMQTT on one node: the broker with MagAuth in its hooks, the devices it serves, ingest
 * rules on the publish path, table changes out to subscribers, and revocations in.
 */
import type { AuthGatekeeper } from '../auth/gatekeeper.js';
import type { AuthChange } from '../auth/invalidation.js';
import type { Board } from '../board.js';
import type { DataChange } from '../../gateway/realtime/db-channels.js';
import { DataClient, sourceAddress } from '../ds/protocol.js';
import { authenticateDevice, maySubscribePlain, mayPublish, mayReceive, tablesReached, topicRights } from './access.js';
import { ConnectRefused, startBroker, type Broker, type BrokerClient, type Message } from './broker.js';
import type { MqttConfig } from './config.js';
import { Devices, clientIp, type Device } from './devices.js';
import { checkConnect, inspectPublish, MQTT_SECURITY_TOPIC, runPublishHooks } from './hooks.js';
import { Ingest } from './ingest.js';
import { openListeners, type Bound, type Listeners } from './listeners.js';
import { NatsEmitter } from './nats-emitter.js';
import { persistenceFor } from './persistence.js';
import type { RetainedCopy } from './retained.js';
import type { RuleStore } from './rules.js';
import type { MqttStats } from './stats.js';
import { dbTopic, namespaceOf } from './topics.js';
import { describeError, type Logger, MoboError, topics } from '../../runtime/index.js';

const LEVEL = /^[^/+#\u0000]+$/;
const refusedPublish = (reason: string) => new MoboError('AUTH_FORBIDDEN', reason);

export interface ClientView {
  clientId: string;
  project: string;
  subject: string;
  kind: string;
  ip: string;
  clean: boolean;
  connectedAt: string;
  subscriptions: string[];
}

export class MqttService {
  private broker: Broker | undefined;
  private listeners: Listeners | undefined;
  private readonly offs: Array<() => void> = [];
  private sysTimer: NodeJS.Timeout | undefined;
  private restoring = false;
  readonly devices = new Devices();
  readonly ingest: Ingest;

  constructor(
    private readonly board: Board,
    private readonly config: MqttConfig,
    private readonly gate: AuthGatekeeper,
    rules: RuleStore,
    private readonly retained: RetainedCopy,
    private readonly stats: MqttStats,
    private readonly log: Logger,
  ) {
    this.ingest = new Ingest(board, rules, gate, (m) => this.publish(m), {
      rows: (rule, n) => stats.bump(stats.ingestRows, rule.project, n),
      deadLetter: (rule, code) => stats.bump(stats.deadLetters, `${rule.project}\n${code}`),
    });
  }

  get bound(): Bound | undefined {
    return this.listeners?.bound;
  }

  async start(): Promise<Bound> {
    await this.ingest.reload();
    const clustered = this.board.system.transport.kind === 'nats';
    const mq = clustered ? new NatsEmitter(this.board.system.transport) : undefined;
    this.broker = await startBroker(
      {
        id: `_${this.board.nodeId}.${Math.random().toString(36).slice(2, 8)}`,
        mq,
        persistence: persistenceFor(this.config.persistence),
        // Sessions outlive this node only in a shared store: then a PUBACK waits for the queueing (README).
        persistBeforeAck: this.config.persistence.kind !== 'memory',
        queueLimit: this.config.queueLimit,
        maxInflight: this.config.maxInflight,
        keepaliveMaxSeconds: this.config.keepaliveMaxSeconds,
      },
      {
        authenticate: (client, username, password) => this.authenticate(client, username, password),
        authorizePublish: (client, message) => this.authorizePublish(client, message),
        authorizeSubscribe: (client, filter, qos) => this.authorizeSubscribe(client, filter, qos),
        forward: (client, message) => {
          const device = this.devices.get(client);
          const ok = device !== undefined && mayReceive(device, message);
          // QoS 1 counts at its PUBACK (below); QoS 0 and 2 when sent.
          if (ok && message.qos !== 1) this.stats.messagesOut[message.qos]!++;
          return ok;
        },
      },
      {
        acknowledged: () => void this.stats.messagesOut[1]!++,
        published: (message) => {
          if (message.retain && !this.restoring) this.retained.record(message, this.board.system.clock.now()).catch((err: unknown) => this.log.warn('retained message not copied to the control store', { topic: message.topic, error: describeError(err) }));
        },
        error: (client, err) => this.log.debug('mqtt client error', { clientId: client?.id ?? null, error: describeError(err) }),
      },
    );
    this.offs.push(this.board.system.events.on<{ change: AuthChange; project: string | null }>('security.auth.>', (e) => this.recheck(e.payload.change, e.payload.project)));
    this.offs.push(this.board.system.events.on<DataChange>('data.>', (e) => this.tableChanged(e.payload)));
    this.offs.push(this.board.system.events.on('mqtt.rules.changed', () => this.reloadRules()));
    // A restore (or its rollback) rewrote the control store: its rules and retained messages are the truth again.
    this.offs.push(
      this.board.system.events.on<{ kind?: string; node?: string }>(topics.job.ofKind('backup'), (event) => {
        if (event.payload.kind !== 'restore' || event.topic.endsWith('.progress')) return;
        this.reloadRules();
        // A shared store (Redis) is put right once, by the restoring node; a node's own memory store by each node.
        if (this.config.persistence.kind === 'memory' || event.payload.node === this.board.nodeId) {
          this.resyncRetained().catch((err: unknown) => this.log.warn('retained messages not brought back after a restore', { error: describeError(err) }));
        }
      }),
    );
    try {
      // An embedded broker forgets retained messages on restart: they come back from the control store's copy.
      if (this.config.persistence.kind === 'memory') await this.resyncRetained();
      this.sysTimer = this.config.sysIntervalSeconds > 0 ? setInterval(() => this.publishSys(), this.config.sysIntervalSeconds * 1000) : undefined;
      this.listeners = await openListeners(this.config, (stream, req) => this.broker!.handle(stream, req), { nodeId: this.board.nodeId, dataDir: this.board.configStore.current().dataDir });
    } catch (err) {
      await this.stop();
      throw err;
    }
    return this.listeners.bound;
  }

  async stop(): Promise<void> {
    clearInterval(this.sysTimer);
    this.offs.splice(0).forEach((off) => off());
    await this.listeners?.close();
    this.listeners = undefined;
    await this.broker?.close();
    this.broker = undefined;
  }

  private reloadRules(): void {
    this.ingest.reload().catch((err: unknown) => this.log.warn('could not reload ingest rules', { error: describeError(err) }));
  }

  /**
   * The broker's retained messages made equal to the control store's copy (at start, after a restore):
   * a topic the copy no longer has is cleared (an empty retained publish, as MQTT clears one),
   * and every copied message is published again, retained.
   */
  private async resyncRetained(): Promise<void> {
    const broker = this.broker;
    if (!broker) return;
    this.restoring = true;
    try {
      const stored = await this.retained.all();
      const kept = new Set(stored.map((m) => m.topic));
      for (const topic of await broker.retainedTopics()) {
        if (!kept.has(topic)) await broker.publish({ topic, payload: Buffer.alloc(0), qos: 0, retain: true });
      }
      for (const message of stored) await broker.publish(message);
    } finally {
      this.restoring = false;
    }
  }

  /** `$SYS/<project>/broker/<node>/clients/connected`: each project sees its own numbers, never another's. */
  private publishSys(): void {
    const perProject = new Map<string, number>();
    for (const d of this.devices.all()) perProject.set(d.project, (perProject.get(d.project) ?? 0) + 1);
    for (const [project, n] of perProject) {
      void this.broker?.publish({ topic: `$SYS/${project}/broker/${this.board.nodeId}/clients/connected`, payload: Buffer.from(String(n)), qos: 0, retain: false }).catch(() => undefined);
    }
  }

  publish(message: Message): Promise<void> {
    if (!this.broker) return Promise.reject(new MoboError('MQTT_DISABLED'));
    return this.broker.publish(message);
  }

  clients(project?: string): ClientView[] {
    return (project ? this.devices.ofProject(project) : this.devices.all()).map((d) => ({
      clientId: d.client.id,
      project: d.project,
      subject: d.principal.subject,
      kind: d.principal.kind,
      ip: d.ip,
      clean: d.client.clean,
      connectedAt: new Date(d.connectedAt).toISOString(),
      subscriptions: Object.keys((d.client as unknown as { subscriptions?: object }).subscriptions ?? {}),
    }));
  }

  kick(clientId: string): { clientId: string; kicked: true } {
    const device = this.devices.all().find((d) => d.client.id === clientId);
    if (!device) throw new MoboError('MQTT_CLIENT_NOT_FOUND', undefined, { details: { clientId } });
    device.client.close();
    this.security('disconnected', device, { reason: 'kicked' });
    return { clientId, kicked: true };
  }

  private security(event: string, device: Pick<Device, 'project' | 'ip'> & { client?: { id: string } }, extra: Record<string, unknown> = {}): void {
    this.board.system.events.emit(`${MQTT_SECURITY_TOPIC}.${event}`, { node: this.board.nodeId, project: device.project, clientId: device.client?.id ?? null, ip: device.ip, ...extra });
  }

  private refuse(kind: string, device: Device, reason: string, extra: Record<string, unknown> = {}): void {
    this.stats.bump(this.stats.refused, kind);
    this.security('refused', device, { kind, reason, ...extra });
  }

  private async authenticate(client: BrokerClient, username: string | undefined, password: Buffer | undefined): Promise<void> {
    const ip = clientIp(client);
    let principal;
    let credential: string;
    try {
      ({ principal, credential } = await authenticateDevice(this.gate, username, password, ip));
    } catch (err) {
      const code = err instanceof ConnectRefused ? err.returnCode : 3;
      this.stats.bump(this.stats.refused, 'connect');
      this.board.system.events.emit(`${MQTT_SECURITY_TOPIC}.auth_failed`, { node: this.board.nodeId, project: username ?? null, clientId: client.id, ip, returnCode: code });
      throw err;
    }
    const project = principal.project;
    const counts = this.devices.count(project, ip);
    if (counts.project >= this.config.maxConnectionsPerProject) throw this.overLimit(client, project, ip, 'mqtt.maxConnectionsPerProject');
    if (counts.ip >= this.config.maxConnectionsPerIp) throw this.overLimit(client, project, ip, 'mqtt.maxConnectionsPerIp');
    checkConnect(this.board, { clientId: client.id, ip, project, subject: principal.subject, kind: principal.kind });
    const now = this.board.system.clock.now();
    const device: Device = { client, project, ip, credential, connectedAt: now, principal, rights: await topicRights(this.gate, principal), tables: new Map(), tokens: this.config.publishRate.burst, refilledAt: now };
    const will = (client as unknown as { _will?: { topic: string } | null })._will;
    if (will) {
      const decision = mayPublish(device, will.topic);
      if (!decision.ok) {
        this.refuse('will', device, decision.reason, { topic: will.topic });
        throw new ConnectRefused(5, `last will: ${decision.reason}`);
      }
    }
    this.devices.add(device);
    this.stats.connections++;
    client.conn.once('close', () => {
      if (this.devices.remove(client)) this.stats.connections--;
    });
    this.security('connected', device, { subject: principal.subject, kind: principal.kind });
  }

  private overLimit(client: BrokerClient, project: string, ip: string, setting: string): ConnectRefused {
    this.stats.bump(this.stats.refused, 'limit');
    this.board.system.events.emit(`${MQTT_SECURITY_TOPIC}.refused`, { node: this.board.nodeId, project, clientId: client.id, ip, kind: 'limit', setting });
    return new ConnectRefused(3, `over ${setting}`);
  }

  /** Synchronous unless an ingest rule has rows to write (then the PUBACK waits for their commit). */
  private authorizePublish(client: BrokerClient | null, message: Message): void | Promise<void> {
    // A will of a dead node, published by a surviving one: it was checked when its client connected.
    if (client === null) return;
    const device = this.devices.get(client);
    if (!device) throw refusedPublish('not authenticated');
    if (message.payload.length > this.config.maxMessageBytes) {
      this.refuse('publish', device, 'message too large', { bytes: message.payload.length, setting: 'mqtt.maxMessageBytes' });
      throw refusedPublish(`payload over mqtt.maxMessageBytes (${this.config.maxMessageBytes})`);
    }
    if (!this.devices.take(device, this.board.system.clock, this.config.publishRate.rps, this.config.publishRate.burst)) {
      this.refuse('rate', device, 'over mqtt.publishRate');
      throw refusedPublish('over mqtt.publishRate');
    }
    const decision = mayPublish(device, message.topic);
    if (!decision.ok) {
      this.refuse('publish', device, decision.reason, { topic: message.topic });
      throw refusedPublish(decision.reason);
    }
    this.stats.messagesIn[message.qos]!++;
    const facts = { project: device.project, clientId: client.id, subject: device.principal.subject, topic: message.topic, qos: message.qos, bytes: message.payload.length, ip: device.ip };
    runPublishHooks(this.board, facts);
    const ns = namespaceOf(message.topic, device.project);
    if (!ns.ok) return undefined;
    const inspecting = inspectPublish(this.board, facts, message.payload, () => this.ingest.matches(device.project, ns.relative));
    return inspecting ? inspecting.then(() => this.ingest.apply(device, message, ns.relative)) : this.ingest.apply(device, message, ns.relative);
  }

  private async authorizeSubscribe(client: BrokerClient, filter: string, qos: 0 | 1 | 2): Promise<0 | 1 | 2 | null> {
    const device = this.devices.get(client);
    if (!device) return null;
    const plain = maySubscribePlain(device, filter);
    const reached = await this.grantTables(device, filter);
    if (plain.ok || reached > 0) return qos;
    this.refuse('subscribe', device, plain.reason, { filter });
    return null;
  }

  /** Grants the table-change topics a filter reaches (read on each table, with its row rule); returns how many. */
  private async grantTables(device: Device, filter: string): Promise<number> {
    const ns = namespaceOf(filter, device.project);
    if (!ns.ok || ns.sys) return 0;
    const first = ns.relative.split('/', 1)[0];
    if (first !== 'db' && first !== '+' && first !== '#') return 0;
    const tables = await this.projectTables(device.project);
    let granted = 0;
    for (const { source, table } of tablesReached(ns.relative, tables)) {
      const grant = await this.gate.authorize(device.principal, { project: device.project, source, table, operation: 'read' }).catch(() => undefined);
      if (!grant) continue;
      device.tables.set(`${source}/${table}`, grant);
      granted++;
    }
    return granted;
  }

  private async projectTables(project: string): Promise<Array<{ source: string; table: string }>> {
    const catalog = this.board.system.ref(this.board.address('catalog'), 'mqtt');
    const sources = (await catalog.ask<Array<{ name: string }>>('source.list', { project }).catch(() => [])) ?? [];
    const out: Array<{ source: string; table: string }> = [];
    for (const { name } of sources) {
      const schema = await new DataClient(this.board.system.ref(sourceAddress(project, name), 'mqtt')).schema().catch(() => undefined);
      for (const t of schema?.tables ?? []) if (LEVEL.test(t.name)) out.push({ source: name, table: t.name });
    }
    return out;
  }

  /** MagAuth changed (a key revoked, a user disabled, a role or row rule edited): re-check every device it may concern. */
  private recheck(change: AuthChange, project: string | null): void {
    if (change === 'signing') return;
    const devices = project ? this.devices.ofProject(project) : this.devices.all();
    // After the current turn: on other nodes the Gatekeeper's own listener clears its caches first.
    setImmediate(() => void Promise.all(devices.map((d) => this.recheckOne(d))));
  }

  private async recheckOne(device: Device): Promise<void> {
    try {
      device.principal = await this.gate.authenticate({ authorization: `Bearer ${device.credential}` }, device.project, device.ip);
      device.rights = await topicRights(this.gate, device.principal);
      device.tables.clear();
      for (const filter of Object.keys((device.client as unknown as { subscriptions?: object }).subscriptions ?? {})) await this.grantTables(device, filter);
    } catch (err) {
      this.log.info('mqtt client disconnected: its credentials no longer hold', { clientId: device.client.id, project: device.project, error: describeError(err) });
      this.security('disconnected', device, { reason: 'revoked' });
      device.client.close();
    }
  }

  /** A table change → `<project>/db/<source>/<table>/<op>`, at QoS 0 to the subscribers connected to this node (see README). */
  private tableChanged(change: DataChange): void {
    if (!this.broker || !change || typeof change.project !== 'string' || this.devices.count(change.project, '').project === 0) return;
    if (!LEVEL.test(change.source) || !LEVEL.test(change.table)) return;
    const payload = Buffer.from(JSON.stringify({ source: change.source, table: change.table, op: change.op, row: change.row ?? null, old: change.old ?? null, at: change.at }));
    this.broker.publish({ topic: dbTopic(change.project, change.source, change.table, change.op), payload, qos: 0, retain: false }).catch((err: unknown) => this.log.warn('table change not published', { error: describeError(err) }));
  }
}
