/**
 * The node the postgrest-js yardstick (bench/postgrest-js-suite.sh) talks to: one project `pgjs`
 * whose Postgres source `db` is the suite's database, an owner key, rate limits raised (the
 * defaults 429 a couple of the suite's tests). The suite sends no credentials (PostgREST's anon
 * role is its database owner there), so a loopback proxy in front of the node adds the owner key
 * to every request that has none. Writes `{ url, key }` (the proxy's base URL) to the file named
 * by argv[3] and runs until SIGTERM. Usage: node dist/bench/postgrest-js-node.js <postgres-url> <out.json>
 */
import { request, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSlots } from '../actors/components.js';
import { configSections } from '../actors/motherboard.js';
import { MoboNode } from '../actors/node.js';
import { loadConfig } from '../config/load.js';
import { Logger } from '../runtime/logger.js';

async function main(): Promise<void> {
  const [pgUrl, out] = process.argv.slice(2);
  if (!pgUrl || !out) throw new Error('Usage: node dist/bench/postgrest-js-node.js <postgres-url> <out.json>');
  const dataDir = mkdtempSync(join(tmpdir(), 'mobo-pgjs-'));
  const roomy = { MOBO_RATE_LIMITS__PER_IP__RPS: '100000', MOBO_RATE_LIMITS__PER_IP__BURST: '100000', MOBO_RATE_LIMITS__PER_KEY__RPS: '100000', MOBO_RATE_LIMITS__PER_KEY__BURST: '100000' };
  const loaded = loadConfig({ cwd: dataDir, env: { MOBO_HTTP_PORT: '0', MOBO_DATA_DIR: dataDir, MOBO_HEALTH__INTERVAL_MS: '0', ...roomy }, sections: configSections(defaultSlots()) });
  const node = await MoboNode.create({ loaded, log: Logger.stderr('warn', 'json') });
  await node.boot();
  const ask = <T>(actor: string, type: string, payload: unknown) => node.system.ref(node.address(actor)).ask<T>(type, payload, { timeoutMs: 30_000 });
  await ask('catalog', 'project.create', { project: 'pgjs' });
  await ask('catalog', 'source.add', { project: 'pgjs', name: 'db', kind: 'postgres', url: pgUrl });
  const { key } = await ask<{ key: string }>('auth', 'key.create', { project: 'pgjs', role: 'owner' });
  const { port } = JSON.parse(readFileSync(join(dataDir, 'node.json'), 'utf8')) as { port: number };
  const proxy = createServer((req, res) => {
    const headers = { ...req.headers };
    if (!headers.authorization || headers.authorization === 'Bearer ') headers.authorization = `Bearer ${key}`;
    // No keep-alive upstream: a reused socket the node closes at the same moment fails a request.
    const upstream = request({ host: '127.0.0.1', port, path: req.url, method: req.method, headers, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(upstream);
  });
  // The suite's client closes idle sockets after the server's hint less one second: a long hint
  // makes it close first, so it never writes to a socket the proxy is closing.
  proxy.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxied = (proxy.address() as AddressInfo).port;
  writeFileSync(out, JSON.stringify({ url: `http://127.0.0.1:${proxied}/rest/v1/pgjs/db`, key }));
  const stop = () => void node.stop().then(() => proxy.close()).finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
