import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MoboNode } from '../../actors/node.js';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import type { TableInfo } from '../../adapters/types.js';
import { split, loadSamples, dataDir } from '../../actors/sentinel/sqlguard/train/dataset.js';
import { tempDir } from '../support/cli.js';
import { startTestNode } from '../support/node.js';

const col = (name: string, type: TableInfo['columns'][number]['type'], nullable = true) => ({ name, type, nativeType: type, nullable, hasDefault: false });

export interface SentinelNode {
  node: MoboNode;
  dir: string;
  base: string;
  table: string;
  key: string;
  admin(path: string, init?: RequestInit): Promise<Response>;
  call(path: string, init?: RequestInit & { key?: string }): Promise<Response>;
  ask<T>(actor: string, type: string, payload: unknown): Promise<T>;
}

/** A node with `sentinel` set as given, a project `shop` with a SQLite source `main` holding 20 rows, and a developer key. */
export async function sentinelNode(sentinel: Record<string, unknown>, env: Record<string, string> = {}, dir = tempDir('mobo-sentinel-')): Promise<SentinelNode> {
  writeFileSync(join(dir, 'mobo.config.json'), JSON.stringify({ sentinel, rateLimits: { perIp: { rps: 100000, burst: 100000 }, perKey: { rps: 100000, burst: 100000 } } }));
  const node = await startTestNode(env, dir);
  const ask = <T>(actor: string, type: string, payload: unknown) => node.system.ref(node.address(actor)).ask<T>(type, payload, { timeoutMs: 15_000 });
  const table = `items_${Math.random().toString(36).slice(2, 8)}`;
  await ask('catalog', 'project.create', { project: 'shop' }).catch(() => undefined);
  await ask('catalog', 'source.add', { project: 'shop', name: 'main', kind: 'sqlite', url: join(dir, 'shop.db') }).catch(() => undefined);
  const data = new DataClient(node.system.ref(sourceAddress('shop', 'main')));
  await data.createTable({ name: table, primaryKey: ['id'], columns: [col('id', 'integer', false), col('name', 'text', false), col('note', 'text')] });
  await data.insert(table, Array.from({ length: 20 }, (_, i) => ({ id: i + 1, name: `item ${i + 1}`, note: null })), false);
  const key = (await ask<{ key: string }>('auth', 'key.create', { project: 'shop', role: 'developer' })).key;
  const base = `http://127.0.0.1:${(JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as { port: number }).port}`;
  const adminToken = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
  return {
    node,
    dir,
    base,
    table,
    key,
    ask,
    admin: (path, init = {}) => fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } }),
    call: (path, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${init.key ?? key}`);
      if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
      return fetch(`${base}${path}`, { ...init, headers });
    },
  };
}

/** Held-out malicious lines (never trained on), `perBlock` from each source block, read from the shared data in place. */
export function heldOutAttacks(perBlock: number): Array<{ block: string; value: string }> {
  const { test } = split(loadSamples(dataDir()), 17);
  const byBlock = new Map<string, string[]>();
  for (const s of test) {
    const list = byBlock.get(s.block) ?? [];
    if (s.label === 1 && list.length < perBlock) byBlock.set(s.block, [...list, s.value]);
  }
  return [...byBlock].flatMap(([block, values]) => values.map((value) => ({ block, value })));
}

/** Values people really send, several of them SQL-like prose: none may ever be blocked. */
export const EVERYDAY = [
  "Siobhan O'Brien", "Mary O'Connor-Smith", "D'Angelo Russell", "N'Golo Kanté", "it's", "Don't email me again",
  'union station', 'Union Station, Chicago', 'order by price', 'select a plan', 'drop-down', 'Drop table tennis practice?',
  'and or but', 'Tom & Jerry', 'rock and roll', 'Grant Street 12', "O'Reilly Media", 'Renée D\'Souza', '李小龙', 'Мария Иванова',
  'alice@example.com', 'https://example.com/a?b=c&d=e', '2024-05-01', '42', '-7.5', 'user_agent Mozilla/5.0 (X11; Linux x86_64)',
  'Select your country', 'Delete my account please', 'Where is my order?', 'update: shipped', '1 or 2 rooms', 'null',
];
