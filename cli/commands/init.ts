import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../config/load.js';
import { ensureAdminToken } from '../../gateway/admin-token.js';
import { MoboError } from '../../runtime/errors.js';
import { flagString } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';

export const initCommand: Command = {
  name: 'init',
  summary: 'Write mobo.config.json and create the data directory',
  usage: 'mobo init [--config FILE] [--force] [--json]',
  flags: { force: 'boolean' },
  details: 'Writes an embedded-mode config (no servers needed). Refuses to overwrite an existing file without --force.',
  async run(args, out) {
    const file = resolve(flagString(args, 'config') ?? DEFAULT_CONFIG_FILE);
    if (existsSync(file) && !args.flags.force) {
      throw new MoboError('CONFIG_INVALID', `${file} already exists (use --force to overwrite)`, { details: { file } });
    }
    const starter = { node: { id: 'node1' }, dataDir: './.mobo', http: { host: '127.0.0.1', port: 8000 }, log: { level: 'info' } };
    writeFileSync(file, JSON.stringify(starter, null, 2) + '\n');
    const { config } = loadConfig({ file });
    ensureAdminToken(config.dataDir);
    out.result({ config: file, dataDir: config.dataDir }, () => `Wrote ${file}\nData directory ${config.dataDir}\nNext: mobo boot`);
    return EXIT.OK;
  },
};
