import { join } from 'node:path';
import { previousRun, readMemory, type Run } from '../../actors/kernel/node-memory.js';
import { StateFile } from '../../actors/kernel/state-file.js';
import type { ComponentStatus } from '../../actors/kernel/tree-view.js';
import type { CaptureStatus } from '../../adapters/index.js';
import { flagString, type ParsedArgs } from '../args.js';
import { NodeClient } from '../client.js';
import type { Command } from '../command.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { table, type Output } from '../output.js';
import { loadConfig } from '../../config/index.js';
import { isMoboError, type MoboError } from '../../runtime/index.js';

export interface NodeStatus {
  node: string;
  pid: number;
  mode: string;
  uptimeMs: number;
  rssBytes: number;
  components: ComponentStatus[];
  previousRun: Run | null;
  /** Per database server: connections in use, idle, waiting for the budget, and the budget. */
  connections?: Array<{ server: string; budget: number; inUse: number; idle: number; waiting: number }>;
  /** Per source whose change feed started: how its changes are captured. */
  changes?: CaptureStatus[];
}

/** The client for the node a command targets (`--config`, `--node`). */
export function client(args: ParsedArgs): NodeClient {
  return NodeClient.load(flagString(args, 'config'), flagString(args, 'node'));
}

export function componentTable(components: ComponentStatus[]): string {
  return table([
    ['NAME', 'SUPERVISOR', 'KIND', 'STATE', 'HEALTH', 'RESTARTS'],
    ...components.map((c) => [c.name, c.supervisor, c.kind, c.state, c.health, String(c.restarts)]),
  ]);
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'Show the running node and every component',
  usage: 'mobo status [--node ID] [--config FILE] [--json]',
  flags: {},
  async run(args, out) {
    let status: NodeStatus;
    try {
      status = await client(args).get<NodeStatus>('/v1/admin/status');
    } catch (err) {
      if (!isMoboError(err, 'NODE_UNREACHABLE')) throw err;
      return lastRunStatus(args, out, err);
    }
    out.result(status, () =>
      [
        `${status.node} · ${status.mode} · pid ${status.pid} · up ${(status.uptimeMs / 1000).toFixed(1)} s · rss ${(status.rssBytes / 1048576).toFixed(1)} MB`,
        componentTable(status.components),
        ...(status.connections?.length
          ? [table([['SERVER', 'IN USE', 'IDLE', 'WAITING', 'BUDGET'], ...status.connections.map((c) => [c.server, String(c.inUse), String(c.idle), String(c.waiting), String(c.budget)])])]
          : []),
        ...(status.changes?.length
          ? [table([['CHANGES', 'PATH', 'READER', 'SLOT', 'WHY'], ...status.changes.map((c) => [c.key, c.path, c.role ? `${c.role} (${c.relay})` : '-', c.slot ?? '-', c.reason ?? ''])])]
          : []),
        ...(status.previousRun ? [`previous run: ${runLine(status.previousRun)}`] : []),
      ].join('\n'),
    );
    return EXIT.OK;
  },
};

function runLine(run: Run): string {
  const end = run.end ? `${run.end.kind} at ${run.end.at} (${run.end.reason})` : 'still running';
  return `pid ${run.pid}, started ${run.startedAt}, ended ${end}`;
}

/**
 * No node answers: what the data directory remembers of the last run (how it ended, its
 * components when last seen), so a crash can be read after the fact. Still exit 3.
 */
function lastRunStatus(args: ParsedArgs, out: Output, err: MoboError): ExitCode {
  const configFile = flagString(args, 'config');
  const { config } = loadConfig(configFile === undefined ? {} : { file: configFile });
  const memory = readMemory(new StateFile(join(config.dataDir, 'state.json')).peek());
  const last = previousRun(memory, false);
  if (!last) throw err;
  // A run that recorded no end and answers no more ended without a clean shutdown.
  const run: Run = last.end ? last : { ...last, end: { kind: 'crashed', at: last.seenAt ?? last.startedAt, reason: 'the node stopped without a clean shutdown' } };
  out.error(err);
  out.result({ running: false, lastRun: run }, () =>
    [`not running; last run: ${runLine(run)}`, ...(run.components ? [`components when last seen (${run.seenAt ?? '?'}):`, componentTable(run.components)] : [])].join('\n'),
  );
  return EXIT.UNREACHABLE;
}

export const shutdownCommand: Command = {
  name: 'shutdown',
  summary: 'Shut the running node down cleanly (reverse start order)',
  usage: 'mobo shutdown [--reason TEXT] [--node ID] [--config FILE] [--json]',
  flags: { reason: 'string' },
  async run(args, out) {
    const reason = flagString(args, 'reason') ?? 'mobo shutdown';
    const result = await client(args).post<{ node: string }>('/v1/admin/shutdown', { reason });
    out.result(result, () => `${result.node} is shutting down.`);
    return EXIT.OK;
  },
};
