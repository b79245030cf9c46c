import { usage } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { client, componentTable, type NodeStatus } from './node.js';

export const componentListCommand: Command = {
  name: 'component:list',
  summary: 'List components with state, health and restarts',
  usage: 'mobo component:list [--node ID] [--json]',
  flags: {},
  async run(args, out) {
    const status = await client(args).get<NodeStatus>('/v1/admin/status');
    out.result(status.components, () => componentTable(status.components));
    return EXIT.OK;
  },
};

function componentAction(action: 'start' | 'stop' | 'restart', summary: string): Command {
  return {
    name: `component:${action}`,
    summary,
    usage: `mobo component:${action} <name> [--node ID] [--json]`,
    flags: {},
    async run(args, out) {
      const name = args.positional[0];
      if (!name) throw usage(`component:${action} needs a component name (see mobo component:list)`);
      const result = await client(args).post<{ name: string; action: string }>(`/v1/admin/components/${encodeURIComponent(name)}/${action}`);
      out.result(result, () => `${result.name}: ${result.action}`);
      return EXIT.OK;
    },
  };
}

export const componentStartCommand = componentAction('start', 'Start a stopped component');
export const componentStopCommand = componentAction('stop', 'Stop a component (it stays down until started)');
export const componentRestartCommand = componentAction('restart', 'Restart a component gracefully');
