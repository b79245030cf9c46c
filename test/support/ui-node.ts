import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MoboNode } from '../../actors/node.js';
import { readAdminToken } from '../../gateway/admin-token.js';
import { openBrowser, type BrowserSession } from './browser.js';
import { startTestNode } from './node.js';

/** What MagUI's browser tests drive: an embedded node on `dir` (free port), its base URL and admin token, and a fresh Chromium. */
export interface UiNode {
  node: MoboNode;
  base: string;
  token: string;
  browser: BrowserSession;
}

export async function startUiNode(dir: string): Promise<UiNode> {
  const node = await startTestNode({}, dir);
  const base = `http://127.0.0.1:${(JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as { port: number }).port}`;
  return { node, base, token: readAdminToken(dir)!, browser: await openBrowser() };
}
