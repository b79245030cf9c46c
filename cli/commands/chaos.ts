import { usage } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { client } from './node.js';

export const chaosKillCommand: Command = {
  name: 'chaos:kill',
  summary: 'Kill an actor or supervisor at once; supervision must bring it back',
  usage: 'mobo chaos:kill <name> [--node ID] [--json]',
  flags: {},
  details: 'The component dies mid-work (no graceful stop); its supervisor restarts it by strategy. Watch with mobo status.',
  async run(args, out) {
    const name = args.positional[0];
    if (!name) throw usage('chaos:kill needs a component name (see mobo component:list)');
    const result = await client(args).post<{ name: string }>(`/v1/admin/chaos/kill/${encodeURIComponent(name)}`);
    out.result(result, () => `killed ${result.name}`);
    return EXIT.OK;
  },
};
