import { createHash } from 'node:crypto';
import { describeError, MoboError, isMoboError } from '../../runtime/errors.js';
import type { Board } from '../board.js';
import { controlStore } from '../kernel/store-slot.js';
import { AnomalyDetector, type Anomaly } from './anomaly.js';
import { AuditLog, type AuditQuery } from './audit.js';
import { BlockList, checkTarget, type Allow, type Block, type BlockSource, type TargetKind } from './blocks.js';
import { BruteForce, type Failure, type Verdict } from './brute-force.js';
import type { SentinelConfig } from './config.js';
import { EntriesStore, type Mode } from './entries-store.js';
import { claimedIdentity, type Claimed } from './identity.js';
import { requestValues, type Inspected, type InspectedRequest } from './request-values.js';
import { defaultManifestPath } from './sqlguard/model-file.js';
import { decide, resolveBands, SqlGuard, type Decision } from './sqlguard/sqlguard.js';

/** Where a request came in: MagGate REST, the realtime channel-auth endpoint, MagAuth's login. */
export type Surface = 'rest' | 'realtime-auth' | 'login' | 'mqtt';

/** What Sentinel reads of an answer. */
export interface Answer {
  status: number;
  body?: unknown;
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

function rowsOf(body: unknown): number {
  if (Array.isArray(body)) return body.length;
  const data = (body as { data?: unknown } | undefined)?.data;
  if (Array.isArray(data)) return data.length;
  return data === undefined || data === null ? 0 : 1;
}

/**
 * MagSentinel on one node: SQLGuard over every value a client sends, brute-force and
 * stuffing counters, per-identity anomaly baselines, and the blocks they (or operators)
 * make, shared with every node over the bus and kept in the control store. The edge calls
 * `guard()` around a handler; off (`sentinel.enabled: false`) that is one property read.
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

  constructor(private readonly board: Board) {
    const clock = board.system.clock;
    this.blocks = new BlockList(clock, () => this.config().allow);
    this.audit = new AuditLog(() => this.config().audit.maxEvents);
    this.brute = new BruteForce(clock, () => this.config());
    this.anomaly = new AnomalyDetector(clock, () => this.config().anomaly);
    this.entries = new EntriesStore(controlStore(board));
  }

  config(): SentinelConfig {
    return this.board.configStore.current().sentinel;
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
      }),
    );
    const stored = await this.entries.load(this.board.system.clock.now());
    for (const b of stored.blocks) this.blocks.put(b);
    for (const a of stored.allows) this.blocks.putAllow(a);
    this.modeOverride = stored.mode;
    if (this.config().enabled) await this.ensureModel();
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
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

  /**
   * Runs `run` unless the request must be refused: a blocked IP, key or user, or (in block
   * mode) a value SQLGuard scores in the block band. Then reads the answer for failed
   * logins, refused keys and the anomaly baselines.
   */
  async guard<R extends Answer>(surface: Surface, req: InspectedRequest, run: () => R | Promise<R>): Promise<R> {
    const cfg = this.config();
    if (!cfg.enabled) return run();
    const claimed = claimedIdentity(req.headers);
    const allowed = this.blocks.isAllowed('ip', req.ip);
    if (!allowed) {
      this.refuseBlocked(surface, req, claimed);
      const values = requestValues(req, { headers: cfg.sqlguard.headers, skipFields: this.skipFields(cfg) });
      if (cfg.sqlguard.enabled && values.length > 0 && !SqlGuard.allPlain(values.map((v) => v.value))) await this.inspect(surface, req, values);
    }
    let answer: R;
    try {
      answer = await run();
    } catch (err) {
      if (!allowed) this.afterFailure(surface, req, claimed, isMoboError(err) ? err.status : 500);
      throw err;
    }
    if (!allowed) {
      if (answer.status === 401) this.afterFailure(surface, req, claimed, 401);
      if (surface === 'rest' && cfg.anomaly.enabled) this.observe(req, claimed, answer);
    }
    return answer;
  }

  /** An MQTT hook (MagMQTT calls it on connect): refuses a blocked client id, IP or key. */
  checkMqttClient(input: { clientId: string; ip: string; headers?: Record<string, string> }): void {
    if (!this.config().enabled || this.blocks.isAllowed('ip', input.ip)) return;
    if (this.blocks.blockOf('mqtt', input.clientId) || this.blocks.blockOf('ip', input.ip)) throw refused();
    const claimed = claimedIdentity(input.headers ?? {});
    if ((claimed.keyHash && this.blocks.blockOf('key', claimed.keyHash)) || (claimed.user && this.blocks.blockOf('user', claimed.user))) throw refused();
  }

  /** An MQTT hook: a client that failed to authenticate counts as a refused key from its IP. */
  mqttAuthFailed(input: { clientId: string; ip: string }): void {
    if (!this.config().enabled) return;
    this.report({ kind: 'key', ip: input.ip, node: this.board.nodeId });
  }

  /** An MQTT hook for payloads of ingest rules: the payload's strings through SQLGuard; throws SENTINEL_BLOCKED in block mode. */
  async inspectMqttPayload(input: { clientId: string; ip: string; topic: string; payload: Buffer }): Promise<void> {
    const cfg = this.config();
    if (!cfg.enabled || !cfg.sqlguard.enabled || this.blocks.isAllowed('ip', input.ip)) return;
    const req: InspectedRequest = { method: 'PUBLISH', path: input.topic, query: new URLSearchParams(), headers: { 'content-type': 'application/json' }, body: input.payload, ip: input.ip, params: {}, requestId: input.clientId };
    const values = requestValues(req, { headers: [], skipFields: this.skipFields(cfg) });
    if (values.length > 0 && !SqlGuard.allPlain(values.map((v) => v.value))) await this.inspect('mqtt', req, values);
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

  events(q: AuditQuery) {
    return this.audit.query(q);
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

  /** Counters for `/metrics`. */
  metrics(): Record<string, number> {
    const out: Record<string, number> = { mobo_sentinel_blocks: this.blocks.list().length };
    for (const [key, n] of this.counts) out[`mobo_sentinel_${key}_total`] = n;
    return out;
  }

  anomalyBaseline(identity: string) {
    return this.anomaly.baselineOf(identity);
  }

  // ---- inside ----

  private skipSet: { from: readonly string[]; set: ReadonlySet<string> } | undefined;

  /** The configured skip fields as a Set, rebuilt only when the config array changes. */
  private skipFields(cfg: SentinelConfig): ReadonlySet<string> {
    if (this.skipSet?.from !== cfg.sqlguard.skipFields) this.skipSet = { from: cfg.sqlguard.skipFields, set: new Set(cfg.sqlguard.skipFields) };
    return this.skipSet.set;
  }

  private count(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  private refuseBlocked(surface: Surface, req: InspectedRequest, claimed: Claimed): void {
    const hit =
      this.blocks.blockOf('ip', req.ip) ??
      (claimed.keyHash === undefined ? undefined : this.blocks.blockOf('key', claimed.keyHash)) ??
      (claimed.user === undefined ? undefined : this.blocks.blockOf('user', claimed.user)) ??
      (surface === 'login' ? this.emailBlock(req) : undefined);
    if (!hit) return;
    this.count(`refused_${hit.kind}`);
    throw refused();
  }

  private emailBlock(req: InspectedRequest): Block | undefined {
    const email = this.emailOf(req);
    return email === undefined ? undefined : this.blocks.blockOf('email', email);
  }

  /** The SHA-256 of the login's email, lower-cased: emails never travel or rest in the clear. */
  private emailOf(req: InspectedRequest): string | undefined {
    try {
      const email = (JSON.parse(req.body.toString('utf8')) as { email?: unknown }).email;
      return typeof email === 'string' ? sha256(email.trim().toLowerCase()) : undefined;
    } catch {
      return undefined;
    }
  }

  private async inspect(surface: Surface, req: InspectedRequest, values: Inspected[]): Promise<void> {
    const guard = this.sqlguard ?? (await this.ensureModel().catch((err: unknown) => void this.board.log.warn('sentinel model unavailable', { error: describeError(err) })));
    if (!guard) return;
    const bands = resolveBands(this.config().sqlguard.bands, guard.manifest);
    let worst: { value: Inspected; score: number } | undefined;
    const unknown = values.filter((v) => !this.scores.has(v.value));
    if (unknown.length > 0) {
      const scored = await guard.score(unknown.map((v) => v.value));
      for (const s of scored) {
        if (this.scores.size >= SCORE_CACHE) this.scores.delete(this.scores.keys().next().value!);
        this.scores.set(s.value, s.score);
      }
    }
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

  private afterFailure(surface: Surface, req: InspectedRequest, claimed: Claimed, status: number): void {
    if (status !== 401) return;
    if (surface === 'login') this.report({ kind: 'login', ip: req.ip, emailHash: this.emailOf(req), node: this.board.nodeId });
    else this.report({ kind: 'key', ip: req.ip, keyHash: claimed.keyHash, node: this.board.nodeId });
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

  private observe(req: InspectedRequest, claimed: Claimed, answer: Answer): void {
    const p = req.params;
    const o = { status: answer.status, rows: answer.status < 300 ? rowsOf(answer.body) : 0, table: p.table === undefined ? undefined : `${p.project}/${p.source}/${p.table}` };
    const found: Array<{ anomaly: Anomaly; kind: TargetKind; value: string }> = [];
    for (const a of this.anomaly.observe(`ip:${req.ip}`, o)) found.push({ anomaly: a, kind: 'ip', value: req.ip });
    if (claimed.keyHash) for (const a of this.anomaly.observe(`key:${claimed.keyHash}`, o)) found.push({ anomaly: a, kind: 'key', value: claimed.keyHash });
    else if (claimed.user) for (const a of this.anomaly.observe(`user:${claimed.user}`, o)) found.push({ anomaly: a, kind: 'user', value: claimed.user });
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

const instances = new WeakMap<Board, Sentinel>();

/** The node's Sentinel, shared by its actor (lifecycle, operator API) and the edge (hooks). */
export function sentinelFor(board: Board): Sentinel {
  let s = instances.get(board);
  if (!s) instances.set(board, (s = new Sentinel(board)));
  return s;
}
