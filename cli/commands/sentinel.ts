import { createInterface } from 'node:readline';
import { defaultManifestPath, decide, resolveBands, sentinelConfig, SqlGuard } from '../../actors/sentinel/index.js';
import { flagString, usage, type ParsedArgs } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { table } from '../output.js';
import { client } from './node.js';
import { loadConfig } from '../../config/index.js';

const BATCH = 512;

export const sentinelCheckCommand: Command = {
  name: 'sentinel:check',
  summary: 'Score values read from stdin (one per line) with SQLGuard, to tune its bands',
  usage: 'mobo sentinel:check [--config FILE] [--model MANIFEST] < values.txt',
  flags: { model: 'string' },
  details:
    'Runs here, without a node: the model and the bands come from the config (sentinel.sqlguard), or --model. ' +
    'Prints one JSON line per value: {"value","score","decision"}, decision one of block, alert, log, allow.',
  async run(args) {
    const configFile = flagString(args, 'config');
    const config = sentinelConfig.of(loadConfig({ ...(configFile === undefined ? {} : { file: configFile }), sections: [sentinelConfig] }).config).sqlguard;
    const guard = await SqlGuard.load(flagString(args, 'model') ?? config.model ?? defaultManifestPath());
    const bands = resolveBands(config.bands, guard.manifest);
    let batch: string[] = [];
    const flush = async () => {
      const scored = await guard.score(batch);
      batch = [];
      process.stdout.write(scored.map((s) => JSON.stringify({ value: s.value, score: s.score, decision: decide(s.score, bands) })).join('\n') + '\n');
    };
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      batch.push(line);
      if (batch.length === BATCH) await flush();
    }
    if (batch.length > 0) await flush();
    await guard.close();
    return EXIT.OK;
  },
};

interface BlockView {
  kind: string;
  value: string;
  reason: string;
  source: string;
  until: number | null;
}

interface StatusView {
  node: string;
  enabled: boolean;
  mode: string;
  model: { sha256: string; bands: { block: number; alert: number; log: number }; loadMs: number } | null;
  blocks: BlockView[];
  allow: Array<{ kind: string; value: string; note: string }>;
  counts: Record<string, number>;
}

interface EventView {
  at: number;
  topic: string;
  payload: Record<string, unknown>;
}

/** `15m`, `2h`, `7d`, `30s`: a duration in ms. */
function duration(text: string, flag = '--for'): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!match) throw usage(`${flag} takes a duration such as 30s, 15m, 2h or 7d, got "${text}"`);
  return Number(match[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
}

/** `--since`: a duration back from now (`15m`) or a date (`2026-01-31T12:00:00Z`). */
function sinceOf(text: string): number {
  if (/^\d+[smhd]$/.test(text.trim())) return Date.now() - duration(text, '--since');
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw usage(`--since takes a duration such as 15m or a date such as 2026-01-31T12:00:00Z, got "${text}"`);
  return at;
}

function target(args: ParsedArgs, verb: string): { kind: string; value: string } {
  const [kind, value] = args.positional;
  if (!kind || !value) throw usage(`sentinel:${verb} needs a kind and a value: mobo sentinel:${verb} <ip|key|user|email|mqtt> <value>`);
  return { kind, value };
}

const until = (b: BlockView) => (b.until === null ? 'until unblocked' : new Date(b.until).toISOString());

export const sentinelStatusCommand: Command = {
  name: 'sentinel:status',
  summary: 'MagSentinel on the node: mode, model and bands, blocks, allow list, counts',
  usage: 'mobo sentinel:status [--node ID] [--json]',
  flags: {},
  async run(args, out) {
    const s = await client(args).get<StatusView>('/v1/admin/sentinel');
    out.result(s, () =>
      [
        `${s.node} · sentinel ${s.enabled ? 'on' : 'off'} · mode ${s.mode}` +
          (s.model ? ` · model ${s.model.sha256.slice(0, 12)} (block ≥ ${s.model.bands.block}, alert ≥ ${s.model.bands.alert}, log ≥ ${s.model.bands.log})` : ' · no model loaded'),
        s.blocks.length === 0 ? 'no blocks' : table([['KIND', 'VALUE', 'UNTIL', 'SOURCE', 'REASON'], ...s.blocks.map((b) => [b.kind, b.value, until(b), b.source, b.reason])]),
        s.allow.length === 0 ? 'allow list empty' : table([['ALLOW', 'VALUE', 'NOTE'], ...s.allow.map((a) => [a.kind, a.value, a.note])]),
        Object.entries(s.counts).map(([k, n]) => `${k} ${n}`).join(' · '),
      ]
        .filter((l) => l.length > 0)
        .join('\n'),
    );
    return EXIT.OK;
  },
};

export const sentinelEventsCommand: Command = {
  name: 'sentinel:events',
  summary: 'Security events from the audit log, newest first',
  usage: 'mobo sentinel:events [--kind threat|blocked|alert|unblocked|expired] [--since 15m|2026-01-31T12:00:00Z] [--limit N] [--node ID] [--json]',
  details: 'In a cluster the log is the cluster\'s (a JetStream stream): every node lists every node\'s events. --type is another name for --kind.',
  flags: { kind: 'string', type: 'string', since: 'string', limit: 'string' },
  async run(args, out) {
    const q = new URLSearchParams();
    const type = flagString(args, 'kind') ?? flagString(args, 'type');
    const limit = flagString(args, 'limit');
    const since = flagString(args, 'since');
    if (type) q.set('type', type);
    if (limit) q.set('limit', limit);
    if (since !== undefined) q.set('since', String(sinceOf(since)));
    const events = await client(args).get<EventView[]>(`/v1/admin/sentinel/events?${q}`);
    out.result(events, () =>
      events.length === 0 ? 'no events' : table([['AT', 'EVENT', 'DETAIL'], ...events.map((e) => [new Date(e.at).toISOString(), e.topic.replace(/^security\./, ''), JSON.stringify(e.payload)])]),
    );
    return EXIT.OK;
  },
};

export const sentinelBlockCommand: Command = {
  name: 'sentinel:block',
  summary: 'Block an IP, API key (id), user (project/subject), login email hash or MQTT client on every node',
  usage: 'mobo sentinel:block <ip|key|user|email|mqtt> <value> [--for 15m] [--reason TEXT] [--json]',
  flags: { for: 'string', reason: 'string' },
  details: 'Without --for the block lasts until mobo sentinel:unblock. Blocks are kept in the control store (and its backups).',
  async run(args, out) {
    const forText = flagString(args, 'for');
    const block = await client(args).post<BlockView>('/v1/admin/sentinel/blocks', { ...target(args, 'block'), reason: flagString(args, 'reason'), forMs: forText === undefined ? undefined : duration(forText) });
    out.result(block, () => `blocked ${block.kind} ${block.value} ${until(block)}`);
    return EXIT.OK;
  },
};

export const sentinelUnblockCommand: Command = {
  name: 'sentinel:unblock',
  summary: 'Lift a block on every node',
  usage: 'mobo sentinel:unblock <kind> <value> [--json]',
  flags: {},
  async run(args, out) {
    const { kind, value } = target(args, 'unblock');
    const block = await client(args).delete<BlockView>(`/v1/admin/sentinel/blocks/${encodeURIComponent(kind)}/${encodeURIComponent(value)}`);
    out.result(block, () => `unblocked ${block.kind} ${block.value}`);
    return EXIT.OK;
  },
};

export const sentinelAllowCommand: Command = {
  name: 'sentinel:allow',
  summary: 'Never block this target (an IP or CIDR range, key, user …); --remove takes it off the list',
  usage: 'mobo sentinel:allow <kind> <value> [--remove] [--reason NOTE] [--json]',
  flags: { remove: 'boolean', reason: 'string' },
  async run(args, out) {
    const { kind, value } = target(args, 'allow');
    const c = client(args);
    if (args.flags.remove === true) {
      const removed = await c.delete<{ kind: string; value: string }>(`/v1/admin/sentinel/allow/${encodeURIComponent(kind)}/${encodeURIComponent(value)}`);
      out.result(removed, () => `removed ${removed.kind} ${removed.value} from the allow list`);
    } else {
      const allow = await c.post<{ kind: string; value: string }>('/v1/admin/sentinel/allow', { kind, value, note: flagString(args, 'reason') });
      out.result(allow, () => `allowed ${allow.kind} ${allow.value}`);
    }
    return EXIT.OK;
  },
};

export const sentinelModeCommand: Command = {
  name: 'sentinel:mode',
  summary: 'Show or set the mode on every node: block (act) or monitor (only log and raise events)',
  usage: 'mobo sentinel:mode [block|monitor] [--json]',
  flags: {},
  async run(args, out) {
    const mode = args.positional[0];
    const c = client(args);
    if (mode === undefined) {
      const s = await c.get<StatusView>('/v1/admin/sentinel');
      out.result({ mode: s.mode }, () => s.mode);
      return EXIT.OK;
    }
    if (mode !== 'block' && mode !== 'monitor') throw usage(`sentinel:mode takes block or monitor, got "${mode}"`);
    const result = await c.post<{ mode: string }>('/v1/admin/sentinel/mode', { mode });
    out.result(result, () => `mode ${result.mode}`);
    return EXIT.OK;
  },
};

export const SENTINEL_COMMANDS: readonly Command[] = [
  sentinelStatusCommand,
  sentinelEventsCommand,
  sentinelBlockCommand,
  sentinelUnblockCommand,
  sentinelAllowCommand,
  sentinelModeCommand,
  sentinelCheckCommand,
];
