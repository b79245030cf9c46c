import { createHash } from 'node:crypto';
import { openEventStream, type EventStream } from '../../cluster/index.js';
import { describeError, isMoboError, MoboError, natsNames, ServiceKey } from '../../runtime/index.js';
import type { Board } from '../board.js';
import { controlStore } from '../kernel/store-slot.js';
import { AnomalyDetector, type Anomaly } from './anomaly.js';
import { AuditLog, type AuditQuery } from './audit.js';
import { BlockList, checkTarget, type Allow, type Block, type BlockSource, type TargetKind } from './blocks.js';
import { BruteForce, type Failure, type Verdict } from './brute-force.js';
import { sentinelConfig, type SentinelConfig } from './config.js';
import { EntriesStore, type Mode } from './entries-store.js';
import type { EdgeHook, RequestView, ResponseView } from '../../gateway/hooks.js';
import { requestValues, type Inspected, type InspectedRequest } from './request-values.js';
import { defaultManifestPath } from './sqlguard/model-file.js';
import { isPlain } from './sqlguard/rules.js';
import { decide, resolveBands, SqlGuard, type Decision } from './sqlguard/sqlguard.js';

/** Where a request came in: MagGate REST, the realtime channel-auth endpoint, MagAuth's login and other end-user routes, MQTT. */
export type Surface = 'rest' | 'realtime-auth' | 'login' | 'auth' | 'mqtt';

/** MagMQTT's `security.mqtt.connected` payload. */
interface MqttConnected {
  node: string;
  project: string;
  clientId: string | null;
  ip: string;
  subject: string;
  kind: string;
}

/** Where it happened, for the audit log. */
interface Origin {
  requestId: string;
  ip: string;
  path: string;
}

/** The surface of a route; undefined for what Sentinel leaves alone (the operator API, /health, /metrics, the JWKS). */
function surfaceOf(view: RequestView): Surface | undefined {
  if (view.route.startsWith('/v1/admin') || view.component === 'admin') return undefined;
  if (view.component === 'rest') return 'rest';
  if (view.route === '/v1/realtime/:project/auth') return 'realtime-auth';
  if (view.route === '/v1/auth/:project/login') return 'login';
  if (view.route.startsWith('/v1/auth/')) return 'auth';
  return undefined;
}

const FAILURE_TOPIC = 'sentinel.failure';
const SYNC_TOPIC = 'sentinel.sync';
/** Scores of values the model has seen, so a repeated User-Agent or filter costs one lookup. */
const SCORE_CACHE = 10_000;
/** Audit copies of a flagged value are cut here. */
const EXCERPT = 200;

type Sync =
  | { node: string; op: 'block'; block: Block }
  | { node: string; op: 'unblock'; kind: TargetKind; value: string }
  | { node: string; op: 'allow'; allow: Allow }
  | { node: string; op: 'unallow'; kind: TargetKind; value: string }
  | { node: string; op: 'mode'; mode: Mode };

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const refused = () => new MoboError('SENTINEL_BLOCKED');

/**
 * MagSentinel on one node: SQLGuard over every value a client sends, brute-force and
 * stuffing counters, per-identity anomaly baselines, and the blocks they (or operators)
 * make, shared with every node over the bus and kept in the control store. It sits in the
 * edge's pipeline as one hook (`edgeHook`), added only while Sentinel is on, so with it
 * off the request path does not know it exists.
 */
export class Sentinel {
  readonly blocks: BlockList;
  readonly audit: AuditLog;
  private readonly brute: BruteForce;
  private readonly anomaly: AnomalyDetector;
  private readonly entries: EntriesStore;
  private sqlguard: SqlGuard | undefined;
  private modelPath: string | undefined;
  private loading: Promise<void> | undefined;
  private modeOverride: Mode | undefined;
  private readonly scores = new Map<string, number>();
  private readonly offs: Array<() => void> = [];
  private readonly counts = new Map<string, number>();
  /** The cluster's audit log (JetStream), in cluster mode. */
  private stream: EventStream | undefined;

  constructor(private readonly board: Board) {
    const clock = board.system.clock;
    this.blocks = new BlockList(clock, () => this.config().allow);
    this.audit = new AuditLog(() => this.config().audit.maxEvents);
    this.brute = new BruteForce(clock, () => this.config());
    this.anomaly = new AnomalyDetector(clock, () => this.config().anomaly);
    this.entries = new EntriesStore(controlStore(board));
  }

  config(): SentinelConfig {
    return sentinelConfig.of(this.board.configStore.current());
  }

  get mode(): Mode {
    return this.modeOverride ?? this.config().mode;
  }

  /** Loads the stored blocks, listens to the bus, and loads the model if Sentinel is on. */
  async start(): Promise<void> {
    const events = this.board.system.events;
    this.offs.push(
      events.on<Record<string, unknown>>('security.>', (e) => this.audit.record(e.topic, e.payload ?? {}, e.at)),
      events.on<Failure>(FAILURE_TOPIC, (e) => this.counted(e.payload)),
      events.on<Sync>(SYNC_TOPIC, (e) => {
        if (e.payload.node !== this.board.nodeId) this.apply(e.payload);
        if (e.payload.op === 'block') this.kickMqtt(e.payload.block);
      }),
      // MagMQTT's security events (every node hears every node's): failed CONNECTs count as refused
      // credentials from that address; a blocked client that got in is disconnected at once.
      events.on<{ ip: string }>('security.mqtt.auth_failed', (e) => {
        if (this.config().enabled) this.counted({ kind: 'key', ip: e.payload.ip, node: String((e.payload as { node?: unknown }).node ?? '') });
      }),
      events.on<MqttConnected>('security.mqtt.connected', (e) => this.connected(e.payload)),
    );
    this.stream = await this.openStream();
    const stored = await this.entries.load(this.board.system.clock.now());
    for (const b of stored.blocks) this.blocks.put(b);
    for (const a of stored.allows) this.blocks.putAllow(a);
    this.modeOverride = stored.mode;
    if (this.config().enabled) await this.ensureModel();
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
    await this.stream?.close();
    this.stream = undefined;
    const guard = this.sqlguard;
    this.sqlguard = undefined;
    this.modelPath = undefined;
    await guard?.close();
  }

  /** Loads the configured model, or swaps it in when `sentinel.sqlguard.model` changed; the old one serves until the new one is ready. */
  async ensureModel(force = false): Promise<SqlGuard | undefined> {
    const cfg = this.config().sqlguard;
    if (!cfg.enabled) return undefined;
    const path = cfg.model ?? defaultManifestPath();
    if (!force && path === this.modelPath && this.sqlguard) return this.sqlguard;
    this.loading ??= SqlGuard.load(path)
      .then(async (next) => {
        const previous = this.sqlguard;
        this.sqlguard = next;
        this.modelPath = path;
        this.scores.clear();
        this.board.log.info('sentinel model loaded', { path, loadMs: Math.round(next.loadMs * 10) / 10 });
        await previous?.close();
      })
      .finally(() => (this.loading = undefined));
    await this.loading;
    return this.sqlguard;
  }

  /** The hook in the edge's pipeline: onRequest (IP blocks, SQLGuard), preHandler (key and user blocks), onResponse (failures, baselines). */
  edgeHook(): EdgeHook {
    return {
      name: 'sentinel',
      onRequest: (view) => {
        const surface = surfaceOf(view);
        if (!surface || this.blocks.isAllowed('ip', view.ip)) return;
        if (this.blocks.blockOf('ip', view.ip) || (surface === 'login' && this.emailBlock(view))) throw this.refused('ip');
        const cfg = this.config().sqlguard;
        if (!cfg.enabled) return;
        return this.inspect(surface, view, requestValues(view, { headers: cfg.headers, skipFields: this.skipFields(cfg.skipFields) }));
      },
      preHandler: (view) => {
        const p = view.principal;
        if (!p || !surfaceOf(view) || this.blocks.isAllowed('ip', view.ip)) return;
        if (p.keyId !== undefined && this.blocks.blockOf('key', p.keyId)) throw this.refused('key');
        if (this.blocks.blockOf('user', `${p.project}/${p.subject}`)) throw this.refused('user');
      },
      onResponse: (view, res) => {
        const surface = surfaceOf(view);
        if (!surface || this.blocks.isAllowed('ip', view.ip)) return;
        this.afterResponse(surface, view, res);
      },
    };
  }

  /**
   * MagMQTT calls it when a client connects, before CONNACK (actors/mqtt/hooks.ts): throws
   * SENTINEL_BLOCKED for a blocked client id, IP, API key or user. A client connected on
   * another node when it is blocked is disconnected after `security.mqtt.connected`.
   */
  checkMqttClient(input: { clientId: string; ip: string; keyId?: string | undefined; user?: string | undefined }): void {
    if (!this.config().enabled || this.blocks.isAllowed('ip', input.ip)) return;
    const hit = this.blocks.blockOf('mqtt', input.clientId) ?? this.blocks.blockOf('ip', input.ip) ?? (input.keyId ? this.blocks.blockOf('key', input.keyId) : undefined) ?? (input.user ? this.blocks.blockOf('user', input.user) : undefined);
    if (!hit) return;
    this.emit('blocked', { kind: hit.kind, value: hit.value, action: 'refused', surface: 'mqtt', clientId: input.clientId, ip: input.ip });
    throw this.refused(hit.kind);
  }

  /**
   * MagMQTT calls it with a payload an ingest rule is about to write (actors/mqtt/hooks.ts):
   * its strings go through SQLGuard; SENTINEL_BLOCKED in block mode.
   */
  async inspectMqttPayload(input: { clientId: string; ip: string; topic: string; payload: Buffer }): Promise<void> {
    const cfg = this.config();
    if (!cfg.enabled || !cfg.sqlguard.enabled || this.blocks.isAllowed('ip', input.ip)) return;
    const req: InspectedRequest = {
      params: {},
      query: new URLSearchParams(),
      header: () => undefined,
      body: () => {
        try {
          return JSON.parse(input.payload.toString('utf8')) as unknown;
        } catch {
          return input.payload.toString('utf8');
        }
      },
    };
    await this.inspect('mqtt', { requestId: input.clientId, ip: input.ip, path: input.topic }, requestValues(req, { headers: [], skipFields: this.skipFields(cfg.sqlguard.skipFields) }));
  }

  // ---- operator actions (mobo sentinel:*) ----

  async block(input: { kind: string; value: string; reason?: string | undefined; forMs?: number | undefined }, source: BlockSource = 'operator', strikes = 1): Promise<Block> {
    const target = checkTarget(input.kind, input.value);
    const now = this.board.system.clock.now();
    const block: Block = { ...target, reason: input.reason ?? 'blocked by an operator', source, createdAt: now, until: input.forMs === undefined ? null : now + input.forMs, strikes, node: this.board.nodeId };
    this.blocks.put(block);
    this.share({ node: this.board.nodeId, op: 'block', block });
    this.emit('blocked', { kind: block.kind, value: block.value, reason: block.reason, source, until: block.until, strikes });
    await this.entries.putBlock(block);
    return block;
  }

  async unblock(kindText: string, valueText: string): Promise<Block> {
    const { kind, value } = checkTarget(kindText, valueText);
    const removed = this.blocks.remove(kind, value);
    if (!removed) throw new MoboError('SENTINEL_BLOCK_NOT_FOUND', `No block on ${kind} ${value}`, { details: { kind, value } });
    this.share({ node: this.board.nodeId, op: 'unblock', kind, value });
    this.emit('unblocked', { kind, value });
    await this.entries.removeBlock(kind, value);
    return removed;
  }

  async allow(input: { kind: string; value: string; note?: string | undefined }): Promise<Allow> {
    const target = checkTarget(input.kind, input.value, true);
    const allow: Allow = { ...target, createdAt: this.board.system.clock.now(), note: input.note ?? '' };
    this.blocks.putAllow(allow);
    this.blocks.remove(allow.kind, allow.value);
    this.share({ node: this.board.nodeId, op: 'allow', allow });
    this.emit('allowed', { kind: allow.kind, value: allow.value });
    await this.entries.putAllow(allow);
    await this.entries.removeBlock(allow.kind, allow.value);
    return allow;
  }

  async unallow(kindText: string, valueText: string): Promise<Allow> {
    const { kind, value } = checkTarget(kindText, valueText, true);
    const removed = this.blocks.removeAllow(kind, value);
    if (!removed) throw new MoboError('SENTINEL_BLOCK_NOT_FOUND', `No allow entry for ${kind} ${value}`, { details: { kind, value } });
    this.share({ node: this.board.nodeId, op: 'unallow', kind, value });
    await this.entries.removeAllow(kind, value);
    return removed;
  }

  async setMode(mode: Mode): Promise<Mode> {
    this.modeOverride = mode;
    this.share({ node: this.board.nodeId, op: 'mode', mode });
    this.emit('mode', { mode });
    await this.entries.putMode(mode, this.board.system.clock.now());
    return mode;
  }

  /** Security events, newest first: from the cluster's stream in cluster mode (every node's), else from this node's bounded log. */
  async events(q: AuditQuery): Promise<Array<{ seq: number; at: number; topic: string; payload: Record<string, unknown> }>> {
    if (!this.stream) return this.audit.query(q);
    return this.stream.query({ topic: q.type === undefined ? undefined : q.type.startsWith('security.') ? q.type : `security.${q.type}`, since: q.since, limit: q.limit ?? 100 });
  }

  status() {
    const cfg = this.config();
    return {
      node: this.board.nodeId,
      enabled: cfg.enabled,
      mode: this.mode,
      model: this.sqlguard ? { path: this.modelPath, sha256: this.sqlguard.manifest.sha256, bands: resolveBands(cfg.sqlguard.bands, this.sqlguard.manifest), loadMs: this.sqlguard.loadMs } : null,
      blocks: this.blocks.list(),
      allow: [...cfg.allow.map((value) => ({ kind: 'ip', value, note: 'config' })), ...this.blocks.allowList()],
      tracked: this.anomaly.tracked,
      auditEvents: this.audit.size,
      counts: Object.fromEntries(this.counts),
    };
  }

  /** Sentinel's series for `/metrics` (Prometheus text). */
  renderMetrics(): string {
    const lines = ['# HELP mobo_sentinel_blocks Live blocks on this node', '# TYPE mobo_sentinel_blocks gauge', `mobo_sentinel_blocks ${this.blocks.list().length}`];
    lines.push('# HELP mobo_sentinel_events_total What Sentinel decided, by kind', '# TYPE mobo_sentinel_events_total counter');
    for (const [kind, n] of this.counts) lines.push(`mobo_sentinel_events_total{kind="${kind}"} ${n}`);
    return lines.join('\n') + '\n';
  }

  anomalyBaseline(identity: string) {
    return this.anomaly.baselineOf(identity);
  }

  // ---- inside ----

  private async openStream(): Promise<EventStream | undefined> {
    const { transport } = this.board.configStore.current();
    // Off, Sentinel opens nothing (a node pays for it only when it is on); without JetStream, this node's log serves.
    if (transport.kind !== 'nats' || !this.config().enabled) return undefined;
    const names = natsNames(transport.cluster);
    const { maxEvents, maxAgeMs } = this.config().audit;
    return openEventStream({ servers: transport.natsUrl, replicas: transport.replicas, stream: names.stream('security'), subject: names.event('security.>'), topicPrefix: names.event(''), maxMsgs: maxEvents, maxAgeMs }).catch((err: unknown) => {
      this.board.log.warn("sentinel: the cluster's audit stream is unavailable; this node's log serves", { error: describeError(err) });
      return undefined;
    });
  }

  private skipSet: { from: readonly string[]; set: ReadonlySet<string> } | undefined;

  /** The configured skip fields as a Set, rebuilt only when the config array changes. */
  private skipFields(fields: readonly string[]): ReadonlySet<string> {
    if (this.skipSet?.from !== fields) this.skipSet = { from: fields, set: new Set(fields) };
    return this.skipSet.set;
  }

  private count(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  private refused(kind: TargetKind): MoboError {
    this.count(`refused_${kind}`);
    return refused();
  }

  private emailBlock(req: RequestView): Block | undefined {
    const email = this.emailOf(req);
    return email === undefined ? undefined : this.blocks.blockOf('email', email);
  }

  /** The SHA-256 of the login's email, lower-cased: emails never travel or rest in the clear. */
  private emailOf(req: RequestView): string | undefined {
    const email = (req.body() as { email?: unknown } | undefined)?.email;
    return typeof email === 'string' ? sha256(email.trim().toLowerCase()) : undefined;
  }

  /**
   * Scores the values that are not plain (synchronously when each is in the score cache) and
   * acts on the worst; a request of plain values only costs the plain test of each.
   */
  private inspect(surface: Surface, req: Origin, values: Inspected[]): void | Promise<void> {
    const suspect = values.filter((v) => !isPlain(v.value));
    if (suspect.length === 0) return;
    const unknown = suspect.filter((v) => !this.scores.has(v.value));
    const guard = this.sqlguard;
    if (guard && unknown.length === 0) return this.judge(surface, req, suspect, guard);
    return this.scoreThenJudge(surface, req, suspect, unknown);
  }

  private async scoreThenJudge(surface: Surface, req: Origin, values: Inspected[], unknown: Inspected[]): Promise<void> {
    const guard = this.sqlguard ?? (await this.ensureModel().catch((err: unknown) => void this.board.log.warn('sentinel model unavailable', { error: describeError(err) })));
    if (!guard) return;
    if (unknown.length > 0) {
      const scored = await guard.score(unknown.map((v) => v.value));
      for (const s of scored) {
        if (this.scores.size >= SCORE_CACHE) this.scores.delete(this.scores.keys().next().value!);
        this.scores.set(s.value, s.score);
      }
    }
    this.judge(surface, req, values, guard);
  }

  private judge(surface: Surface, req: Origin, values: Inspected[], guard: SqlGuard): void {
    const bands = resolveBands(this.config().sqlguard.bands, guard.manifest);
    let worst: { value: Inspected; score: number } | undefined;
    for (const v of values) {
      const score = this.scores.get(v.value) ?? 0;
      if (!worst || score > worst.score) worst = { value: v, score };
    }
    if (!worst) return;
    const decision: Decision = decide(worst.score, bands);
    if (decision === 'allow') return;
    this.count(`sqlguard_${decision}`);
    const event = { surface, requestId: req.requestId, ip: req.ip, path: req.path, field: worst.value.field, value: worst.value.value.slice(0, EXCERPT), score: worst.score, decision, mode: this.mode };
    if (decision === 'log') return void this.board.log.info('sentinel: suspicious value', event);
    this.emit(decision === 'block' ? 'threat' : 'alert', event);
    if (decision === 'block' && this.mode === 'block') {
      this.report({ kind: 'probe', ip: req.ip, node: this.board.nodeId });
      throw refused();
    }
  }

  /** Failed logins, refused credentials, and (for REST) the anomaly baselines of the IP and the principal. */
  private afterResponse(surface: Surface, view: RequestView, res: ResponseView): void {
    const node = this.board.nodeId;
    if (res.status === 401) this.report(surface === 'login' ? { kind: 'login', ip: view.ip, emailHash: this.emailOf(view), node } : { kind: 'key', ip: view.ip, node });
    const p = view.principal;
    if (res.status === 403 && res.code === 'AUTH_FORBIDDEN' && p?.keyId) this.report({ kind: 'key', ip: view.ip, keyId: p.keyId, node });
    if (surface === 'rest' && this.config().anomaly.enabled) this.observe(view, res);
  }

  /** Tells every node (this one included, through the bus) of a failure. */
  private report(f: Failure): void {
    this.board.system.events.emit(FAILURE_TOPIC, f);
  }

  private counted(f: Failure): void {
    if (this.blocks.isAllowed('ip', f.ip)) return;
    // Every node counts every failure; whichever sees a limit crossed first blocks (the others
    // then hold the block and skip). Two at once write the same block: harmless.
    for (const v of this.brute.record(f)) if (!this.blocks.blockOf(v.kind, v.value)) void this.act(v, 'brute-force');
  }

  private observe(view: RequestView, res: ResponseView): void {
    const p = view.params;
    const o = { status: res.status, rows: res.status < 300 ? res.rows : 0, table: p.table === undefined ? undefined : `${p.project}/${p.source}/${p.table}` };
    const found: Array<{ anomaly: Anomaly; kind: TargetKind; value: string }> = [];
    for (const a of this.anomaly.observe(`ip:${view.ip}`, o)) found.push({ anomaly: a, kind: 'ip', value: view.ip });
    const principal = view.principal;
    if (principal?.keyId !== undefined) for (const a of this.anomaly.observe(`key:${principal.keyId}`, o)) found.push({ anomaly: a, kind: 'key', value: principal.keyId });
    else if (principal) {
      const user = `${principal.project}/${principal.subject}`;
      for (const a of this.anomaly.observe(`user:${user}`, o)) found.push({ anomaly: a, kind: 'user', value: user });
    }
    for (const { anomaly, kind, value } of found) {
      const { metric, value: seen, baseline, level } = anomaly;
      this.count(`anomaly_${level}`);
      const reason = `${metric} ${Math.round(seen)} in one interval against a baseline of ${Math.round(baseline * 10) / 10}`;
      this.emit('alert', { kind, value, metric, seen, baseline, level, reason, mode: this.mode });
      if (level === 'block') void this.act({ kind, value, reason, durationMs: this.config().anomaly.blockMs, strikes: 1 }, 'anomaly');
    }
  }

  /** An automatic block: made in block mode, only reported in monitor mode. */
  private async act(v: Verdict, source: BlockSource): Promise<void> {
    if (this.mode !== 'block') return void this.emit('alert', { kind: v.kind, value: v.value, reason: v.reason, source, wouldBlockMs: v.durationMs, mode: 'monitor' });
    await this.block({ kind: v.kind, value: v.value, reason: v.reason, forMs: v.durationMs }, source, v.strikes).catch((err: unknown) =>
      this.board.log.warn('sentinel block not stored', { error: describeError(err) }),
    );
  }

  private connected(c: MqttConnected): void {
    if (c.node !== this.board.nodeId || !c.clientId) return;
    try {
      this.checkMqttClient({ clientId: c.clientId, ip: c.ip, ...(c.kind === 'api_key' ? { keyId: c.subject } : { user: `${c.project}/${c.subject}` }) });
    } catch {
      this.disconnect(c.clientId);
    }
  }

  /** A block of an MQTT client id takes effect on a live connection too (wherever it is connected). */
  private kickMqtt(block: Block): void {
    if (block.kind === 'mqtt') this.disconnect(block.value);
  }

  private disconnect(clientId: string): void {
    this.board.system
      .ref(this.board.address('mqtt'))
      .ask('mqtt.kick', { clientId }, { timeoutMs: 5_000 })
      .then(() => this.emit('blocked', { kind: 'mqtt', value: clientId, action: 'disconnected' }))
      .catch(() => undefined); // not connected here, or MQTT is off
  }

  private apply(s: Sync): void {
    if (s.op === 'block') this.blocks.put(s.block);
    else if (s.op === 'unblock') this.blocks.remove(s.kind, s.value);
    else if (s.op === 'allow') {
      this.blocks.putAllow(s.allow);
      this.blocks.remove(s.allow.kind, s.allow.value);
    } else if (s.op === 'unallow') this.blocks.removeAllow(s.kind, s.value);
    else this.modeOverride = s.mode;
  }

  private share(s: Sync): void {
    this.board.system.events.emit(SYNC_TOPIC, s);
  }

  private emit(type: string, payload: Record<string, unknown>): void {
    this.board.system.events.emit(`security.${type}`, { ...payload, node: this.board.nodeId });
  }
}

const SENTINEL = new ServiceKey<Sentinel>('sentinel');

/**
 * The node's Sentinel, shared by its actor (lifecycle, operator API) and the edge (hooks):
 * one per actor system, since every component sees a board of its own.
 */
export function sentinelFor(board: Board): Sentinel {
  return board.system.services.shared(SENTINEL, () => new Sentinel(board));
}
