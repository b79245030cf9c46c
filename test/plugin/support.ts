import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ComponentSlot } from '../../actors/board.js';
import { defaultSlots } from '../../actors/components.js';
import { configSections } from '../../actors/motherboard.js';
import { MoboNode } from '../../actors/node.js';
import { loadConfig } from '../../config/load.js';
import { readAdminToken } from '../../gateway/admin-token.js';
import { readNodeFile } from '../../gateway/node-file.js';
import { Logger } from '../../runtime/logger.js';
import { tempDir } from '../support/cli.js';

export interface BoardNode {
  node: MoboNode;
  dir: string;
  url: string;
  /** A call to the operator API; answers the parsed body and status. */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
}

/** A node built from the given board list (default: the real one) and config file, as `mobo boot` builds it. */
export async function bootBoard(extra: ComponentSlot[], config: Record<string, unknown> = {}, env: Record<string, string> = {}): Promise<BoardNode> {
  const dir = tempDir('mobo-plug-');
  writeFileSync(join(dir, 'mobo.config.json'), JSON.stringify(config));
  const slots = [...defaultSlots(), ...extra];
  const loaded = loadConfig({ cwd: dir, env: { MOBO_HTTP_PORT: '0', MOBO_DATA_DIR: dir, MOBO_HEALTH__INTERVAL_MS: '0', ...env }, sections: configSections(slots) });
  const node = await MoboNode.create({ loaded, log: Logger.silent(), slots });
  await node.boot();
  const url = `http://127.0.0.1:${readNodeFile(dir)!.port}`;
  const token = readAdminToken(dir)!;
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: await res.json() };
  };
  return { node, dir, url, admin };
}
