/**
 * Ingest rules: MQTT messages on a topic filter become rows of a table. Stored in the
 * control store (`mobo_mqtt_rules`), so every node of a cluster applies the same rules and
 * MagBackup carries them with the rest of the control store.
 *
 * A map gives each column an expression: `$topic[N]` (level N of the topic below the
 * project, from 0), `$.a.b` (a field of the JSON payload), `$payload` (the payload as text),
 * `$clientId`, `$subject` (the credential's subject), `$now` (ISO time); any other value is
 * a constant. Without a map the JSON payload object is the row.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { findOne, iso, where } from '../auth/records.js';
import { resourceName } from '../ds/names.js';
import type { DataClient } from '../ds/protocol.js';
import { isValidFilter } from './topics.js';
import type { Row, TableInfo } from '../../adapters/index.js';
import { MoboError } from '../../runtime/index.js';

export const RULES_TABLE = 'mobo_mqtt_rules';
const text = (name: string, nullable = false) => ({ name, type: 'text' as const, nativeType: 'text', nullable, hasDefault: false });
export const MQTT_TABLES: TableInfo[] = [
  { name: RULES_TABLE, primaryKey: ['id'], columns: [text('id'), text('project'), text('topic'), text('source'), text('table_name'), text('map_json', true), text('created_at')] },
  // See retained.ts: a copy of the retained messages, for backups and embedded restarts.
  { name: 'mobo_mqtt_retained', primaryKey: ['topic'], columns: [text('topic'), text('payload_base64'), { name: 'qos', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false }, text('updated_at')] },
];

const KNOWN = /^\$(topic\[\d+\]|payload|clientId|subject|now|\.[^.]+(\.[^.]+)*)?$/;
const expression = z.union([
  z.string().max(1_000).refine((e) => !e.startsWith('$') || KNOWN.test(e), 'an expression: $topic[N], $.field.path, $payload, $clientId, $subject, $now, or a constant'),
  z.number(),
  z.boolean(),
  z.null(),
]);
export const ruleInput = z.object({
  project: resourceName,
  /** A topic filter below the project: `devices/+/telemetry`. */
  topic: z
    .string()
    .min(1)
    .max(1_024)
    .refine(isValidFilter, 'an MQTT topic filter (levels split by "/", "+" for one level, "#" last)')
    .refine((t) => !t.startsWith('$') && !t.startsWith('db/') && !t.startsWith('dead-letter/'), 'a topic below the project, outside db/ and dead-letter/'),
  /** `source.table` */
  into: z.string().regex(/^[a-z][a-z0-9_-]{0,62}\.[^.\s][^\s]{0,199}$/, '"<source>.<table>", e.g. main.telemetry'),
  map: z.record(z.string().min(1).max(200), expression).optional(),
});
export type RuleInput = z.infer<typeof ruleInput>;

export interface Rule {
  id: string;
  project: string;
  topic: string;
  source: string;
  table: string;
  map: Record<string, string | number | boolean | null> | null;
  created_at: string;
}

const describe = (row: Row): Rule => ({
  id: String(row.id),
  project: String(row.project),
  topic: String(row.topic),
  source: String(row.source),
  table: String(row.table_name),
  map: row.map_json == null ? null : (JSON.parse(String(row.map_json)) as Rule['map']),
  created_at: String(row.created_at),
});

export class RuleStore {
  constructor(private readonly store: DataClient) {}

  async add(input: RuleInput, now: number): Promise<Rule> {
    const dot = input.into.indexOf('.');
    const row: Row = {
      id: `r_${randomBytes(6).toString('hex')}`,
      project: input.project,
      topic: input.topic,
      source: input.into.slice(0, dot),
      table_name: input.into.slice(dot + 1),
      map_json: input.map === undefined ? null : JSON.stringify(input.map),
      created_at: iso(now),
    };
    await this.store.insert(RULES_TABLE, [row], false);
    return describe(row);
  }

  async list(project?: string): Promise<Rule[]> {
    return (await this.store.select({ table: RULES_TABLE, ...(project ? { where: where({ project }) } : {}), order: [{ column: 'created_at', direction: 'asc' }] })).map(describe);
  }

  async remove(project: string, id: string): Promise<Rule> {
    const row = await findOne(this.store, RULES_TABLE, { id, project });
    if (!row) throw new MoboError('MQTT_RULE_NOT_FOUND', undefined, { details: { project, id } });
    await this.store.delete(RULES_TABLE, where({ id, project }), false);
    return describe(row);
  }
}

export interface MessageFacts {
  /** The topic below the project, split in levels. */
  levels: string[];
  payload: Buffer;
  clientId: string;
  subject: string;
  now: number;
}

/** The row a message makes under a rule; throws MQTT_PAYLOAD_INVALID naming what does not fit. */
export function rowFor(rule: Rule, facts: MessageFacts): Row {
  let json: unknown;
  let parsed = false;
  const payloadJson = (): unknown => {
    if (!parsed) {
      parsed = true;
      try {
        json = JSON.parse(facts.payload.toString('utf8'));
      } catch {
        throw new MoboError('MQTT_PAYLOAD_INVALID', 'The payload is not JSON', { details: { rule: rule.id } });
      }
    }
    return json;
  };
  if (!rule.map) {
    const body = payloadJson();
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new MoboError('MQTT_PAYLOAD_INVALID', 'The payload must be a JSON object (the row)', { details: { rule: rule.id } });
    return body as Row;
  }
  const row: Row = {};
  for (const [column, expr] of Object.entries(rule.map)) {
    const value = evaluate(expr, facts, payloadJson, rule.id);
    if (value !== undefined) row[column] = value;
  }
  return row;
}

function evaluate(expr: string | number | boolean | null, facts: MessageFacts, payloadJson: () => unknown, rule: string): unknown {
  if (typeof expr !== 'string' || !expr.startsWith('$')) return expr;
  const level = /^\$topic\[(\d+)\]$/.exec(expr);
  if (level) return facts.levels[Number(level[1])];
  if (expr === '$payload') return facts.payload.toString('utf8');
  if (expr === '$clientId') return facts.clientId;
  if (expr === '$subject') return facts.subject;
  if (expr === '$now') return iso(facts.now);
  if (expr === '$') return payloadJson();
  if (expr.startsWith('$.')) {
    let value: unknown = payloadJson();
    for (const key of expr.slice(2).split('.')) {
      if (value === null || typeof value !== 'object') return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return value;
  }
  throw new MoboError('MQTT_RULE_INVALID', `Unknown expression ${expr}`, { details: { rule, expression: expr } });
}
