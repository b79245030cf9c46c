import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { sqliteFile } from '../../adapters/index.js';
import { startOver } from '../../actors/kernel/start-over.js';
import { controlSource } from '../../actors/kernel/store-slot.js';
import { ensureAdminToken } from '../../gateway/admin-token.js';
import { runningNode } from '../../gateway/node-file.js';
import { flagString } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../config/index.js';
import { MoboError } from '../../runtime/index.js';

export const initCommand: Command = {
  name: 'init',
  summary: 'Write mobo.config.json and create the data directory; --force starts the data directory over',
  usage: 'mobo init [--config FILE] [--force] [--json]',
  flags: { force: 'boolean' },
  details:
    'Writes an embedded-mode config (no servers needed) unless the file exists.\n' +
    '--force starts over with an empty control store: the old control store and node state move to <dataDir>/replaced-<time>/ (nothing is deleted); ' +
    'the config file, backups, the secret key and the admin token stay, so `mobo boot` then `mobo backup:restore <id> --force` can bring the data back. ' +
    'Refused while a node runs on the data directory.',
  async run(args, out) {
    const file = resolve(flagString(args, 'config') ?? DEFAULT_CONFIG_FILE);
    const force = args.flags.force === true;
    const exists = existsSync(file);
    if (exists && !force) {
      throw new MoboError('CONFIG_INVALID', `${file} already exists (mobo init --force keeps it and starts the data directory over)`, { details: { file } });
    }
    if (!exists) {
      const starter = { node: { id: 'node1' }, dataDir: './.mobo', http: { host: '127.0.0.1', port: 8000 }, log: { level: 'info' } };
      writeFileSync(file, JSON.stringify(starter, null, 2) + '\n');
    }
    const { config } = loadConfig({ file });
    const running = runningNode(config.dataDir);
    if (force && running) {
      throw new MoboError('NODE_RUNNING', `Node ${running.nodeId} (pid ${running.pid}) is running on ${config.dataDir}: stop it first (mobo shutdown)`, {
        details: { dataDir: config.dataDir, pid: running.pid },
      });
    }
    const control = controlSource(config);
    const over = force ? startOver(config.dataDir, control.kind === 'sqlite' ? resolve(sqliteFile(control.url)) : undefined) : undefined;
    ensureAdminToken(config.dataDir);
    out.result({ config: file, dataDir: config.dataDir, ...(over ? { startedOver: true, setAside: over.setAside ?? null, moved: over.moved } : {}) }, () =>
      [
        exists ? `Kept ${file}` : `Wrote ${file}`,
        `Data directory ${config.dataDir}`,
        ...(over
          ? [
              over.setAside ? `Moved ${over.moved.join(', ')} to ${over.setAside}` : 'Nothing to move aside',
              'The next boot starts an empty control store. To bring data back: mobo boot, then mobo backup:restore <id> --force',
            ]
          : ['Next: mobo boot']),
      ].join('\n'),
    );
    return EXIT.OK;
  },
};
