import type { ComponentStatus } from '../../actors/kernel/tree-view.js';
import { flagString, type ParsedArgs } from '../args.js';
import { NodeClient } from '../client.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { table } from '../output.js';

export interface NodeStatus {
  node: string;
  pid: number;
  mode: string;
  uptimeMs: number;
  rssBytes: number;
  components: ComponentStatus[];
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
    const status = await client(args).get<NodeStatus>('/v1/admin/status');
    out.result(status, () =>
      [
        `${status.node} · ${status.mode} · pid ${status.pid} · up ${(status.uptimeMs / 1000).toFixed(1)} s · rss ${(status.rssBytes / 1048576).toFixed(1)} MB`,
        componentTable(status.components),
      ].join('\n'),
    );
    return EXIT.OK;
  },
};

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
