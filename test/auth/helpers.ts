import type { MoboNode } from '../../actors/node.js';
import { gatekeeperFor, type AuthGatekeeper } from '../../actors/auth/gatekeeper.js';
import { loadSigner, type Signer } from '../../actors/auth/signing-keys.js';
import { SecretBox } from '../../actors/kernel/secret-box.js';
import { controlStore } from '../../actors/kernel/store-slot.js';
import { readNodeFile } from '../../gateway/node-file.js';
import { startTestNode } from '../support/node.js';

export interface AuthNode {
  node: MoboNode;
  ask<T = unknown>(type: string, payload?: unknown): Promise<T>;
  gate: AuthGatekeeper;
  /** `http://127.0.0.1:<port>` of the node's HTTP listener. */
  url: string;
  /** The signer the auth actor uses now (to mint tokens with chosen claims or times). */
  signer(): Promise<Signer>;
}

/** A booted in-process node with the given projects created. */
export async function startAuthNode(projects: string[], env: Record<string, string> = {}): Promise<AuthNode> {
  const node = await startTestNode(env);
  const catalog = node.system.ref(node.address('catalog'));
  for (const project of projects) await catalog.ask('project.create', { project });
  const auth = node.system.ref(node.address('auth'));
  const config = node.configStore.current();
  const file = readNodeFile(config.dataDir);
  if (!file) throw new Error('the node did not write node.json');
  return {
    node,
    ask: (type, payload = null) => auth.ask(type, payload, { timeoutMs: 15_000 }),
    gate: gatekeeperFor(node),
    url: `http://127.0.0.1:${file.port}`,
    signer: () => loadSigner(controlStore(node), SecretBox.forNode(config.dataDir, config.secrets.key), Date.now()),
  };
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

export interface SessionBody {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  user: { id: string; email: string; role: string };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}
