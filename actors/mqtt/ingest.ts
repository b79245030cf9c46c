import type { AuthGatekeeper } from '../auth/gatekeeper.js';
import { DataClient, sourceAddress } from '../ds/protocol.js';
import type { Board } from '../board.js';
import type { Message } from './broker.js';
import type { Device } from './devices.js';
import { InsertBatcher } from './batcher.js';
import { rowFor, type Rule, type RuleStore } from './rules.js';
import { deadLetterTopic, filterMatches } from './topics.js';
import type { Row } from '../../adapters/index.js';
import { type ErrorCode, toMoboError } from '../../runtime/index.js';

/** Failures a retry can cure: the message is not acknowledged, so the device sends it again. */
const TRANSIENT: ReadonlySet<ErrorCode> = new Set(['DS_UNAVAILABLE', 'DS_BUSY', 'MAILBOX_FULL', 'ACTOR_ASK_TIMEOUT', 'ACTOR_NOT_FOUND', 'ACTOR_STOPPED', 'ACTOR_CRASHED', 'TRANSPORT_UNAVAILABLE', 'TRANSPORT_CLOSED']);

export interface IngestCounters {
  rows(rule: Rule, n: number): void;
  deadLetter(rule: Rule, code: string): void;
}

export class Ingest {
  private byProject = new Map<string, Rule[]>();
  private readonly batchers = new Map<string, InsertBatcher>();

  constructor(
    private readonly board: Board,
    private readonly store: RuleStore,
    private readonly gate: AuthGatekeeper,
    private readonly publish: (message: Message) => Promise<void>,
    private readonly counters: IngestCounters,
  ) {}

  async reload(): Promise<void> {
    const next = new Map<string, Rule[]>();
    for (const rule of await this.store.list()) next.set(rule.project, [...(next.get(rule.project) ?? []), rule]);
    this.byProject = next;
  }

  rules(project?: string): Rule[] {
    return project ? (this.byProject.get(project) ?? []) : [...this.byProject.values()].flat();
  }

  /** True when an ingest rule of the project takes messages of this (project-relative) topic. */
  matches(project: string, relative: string): boolean {
    return (this.byProject.get(project) ?? []).some((r) => filterMatches(r.topic, relative));
  }

  /** Writes the message's rows (resolves once committed), dead-letters what does not fit; rejects only when the device should retry. Undefined when no rule matches. */
  apply(device: Device, message: Message, relative: string): Promise<void> | undefined {
    const rules = this.byProject.get(device.project);
    if (!rules) return undefined;
    const matching = rules.filter((r) => filterMatches(r.topic, relative));
    if (matching.length === 0) return undefined;
    const levels = relative.split('/');
    return Promise.all(matching.map((rule) => this.write(rule, device, message, levels))).then(() => undefined);
  }

  private async write(rule: Rule, device: Device, message: Message, levels: string[]): Promise<void> {
    try {
      const row = rowFor(rule, { levels, payload: message.payload, clientId: device.client.id, subject: device.principal.subject, now: this.board.system.clock.now() });
      const grant = await this.gate.authorize(device.principal, { project: rule.project, source: rule.source, table: rule.table, operation: 'create' });
      const forced: Row = grant.forcedValues ? { ...row, ...grant.forcedValues } : row;
      await this.batcher(rule).add(forced);
      this.counters.rows(rule, 1);
    } catch (err) {
      const error = toMoboError(err);
      if (TRANSIENT.has(error.code) && message.qos > 0) throw error;
      await this.deadLetter(rule, device, message, error.code, error.message);
    }
  }

  private async deadLetter(rule: Rule, device: Device, message: Message, code: string, reason: string): Promise<void> {
    const text = message.payload.toString('utf8');
    const printable = Buffer.from(text, 'utf8').equals(message.payload);
    const letter = {
      rule: rule.id,
      topic: message.topic,
      clientId: device.client.id,
      error: { code, message: reason },
      ...(printable ? { payload: text } : { payloadBase64: message.payload.toString('base64') }),
      at: new Date(this.board.system.clock.now()).toISOString(),
    };
    this.counters.deadLetter(rule, code);
    this.board.system.events.emit('mqtt.dead_letter', { project: rule.project, rule: rule.id, topic: message.topic, code });
    await this.publish({ topic: deadLetterTopic(rule.project, rule.id), payload: Buffer.from(JSON.stringify(letter)), qos: 1, retain: false });
  }

  private batcher(rule: Rule): InsertBatcher {
    const key = `${sourceAddress(rule.project, rule.source)}\n${rule.table}`;
    let batcher = this.batchers.get(key);
    if (!batcher) {
      const client = new DataClient(this.board.system.ref(sourceAddress(rule.project, rule.source), 'mqtt'), { timeoutMs: 10_000 });
      this.batchers.set(key, (batcher = new InsertBatcher((rows) => client.insert(rule.table, rows, false).then(() => undefined))));
    }
    return batcher;
  }
}
