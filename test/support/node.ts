import { loadConfig } from '../../config/load.js';
import { defaultSlots } from '../../actors/components.js';
import { configSections } from '../../actors/motherboard.js';
import { MoboNode } from '../../actors/node.js';
import { Logger } from '../../runtime/logger.js';
import { tempDir } from './cli.js';

/** An in-process embedded node on a fresh data directory, HTTP on a free port. */
export async function startTestNode(env: Record<string, string> = {}, dataDir = tempDir('mobo-node-')): Promise<MoboNode> {
  const loaded = loadConfig({ cwd: dataDir, env: { MOBO_HTTP_PORT: '0', MOBO_DATA_DIR: dataDir, MOBO_HEALTH__INTERVAL_MS: '0', ...env }, sections: configSections(defaultSlots()) });
  const node = await MoboNode.create({ loaded, log: Logger.silent() });
  await node.boot();
  return node;
}
