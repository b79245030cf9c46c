import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bootNode, mobo, tempDir, type BootedNode } from '../support/cli.js';
import { freePort } from '../support/ports.js';

interface NodeJson {
  pid: number;
  port: number;
  dataDir: string;
}

const nodeJson = (cwd: string): NodeJson => JSON.parse(readFileSync(join(cwd, '.mobo', 'node.json'), 'utf8')) as NodeJson;

/** The error line `mobo boot --json` writes to stderr. */
function bootError(stderr: string): { code: string; message: string; details?: Record<string, unknown> } {
  const line = stderr.split('\n').find((l) => l.startsWith('{"error"'));
  expect(line, stderr).toBeDefined();
  return (JSON.parse(line!) as { error: { code: string; message: string; details?: Record<string, unknown> } }).error;
}

describe('one node per port and per data directory', { timeout: 60_000 }, () => {
  const nodes: BootedNode[] = [];
  const servers: Server[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0)) {
      if (n.proc.exitCode === null) n.proc.kill('SIGKILL');
      await n.exited;
    }
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  async function firstNode(): Promise<{ cwd: string; node: BootedNode; file: NodeJson }> {
    const cwd = tempDir('mobo-port-');
    // A named port, not 0: only a port bound by number can be shared through SO_REUSEPORT.
    const node = bootNode({ cwd, env: { MOBO_HTTP_PORT: String(await freePort()) } });
    nodes.push(node);
    await node.ready;
    return { cwd, node, file: nodeJson(cwd) };
  }

  it('a second boot in the same data directory fails with DATA_DIR_IN_USE naming the first pid, on its port or another; the first keeps serving and its node.json', async () => {
    const first = await firstNode();
    for (const port of [first.file.port, await freePort()]) {
      const second = await mobo(['boot', '--json'], { cwd: first.cwd, env: { MOBO_HTTP_PORT: String(port) } });
      expect(second.code).toBe(1);
      const error = bootError(second.stderr);
      expect(error.code).toBe('DATA_DIR_IN_USE');
      expect(error.message).toContain(`pid ${first.node.proc.pid}`);
      expect(error.details).toMatchObject({ dataDir: join(first.cwd, '.mobo'), holder: { node: 'node1', pid: first.node.proc.pid } });
    }

    expect(nodeJson(first.cwd)).toEqual(first.file);
    const status = await mobo(['status', '--json'], { cwd: first.cwd });
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as { pid: number }).pid).toBe(first.node.proc.pid);
    // Every request reaches the first node: nothing else is bound to the port.
    for (let i = 0; i < 6; i++) expect((await mobo(['status'], { cwd: first.cwd })).code).toBe(0);
  });

  it('the lock of a node killed with -9 is stale: the next boot of its data directory takes it over, and stops cleanly', async () => {
    const first = await firstNode();
    const lock = JSON.parse(readFileSync(join(first.cwd, '.mobo', 'node.lock'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(first.node.proc.pid);
    first.node.proc.kill('SIGKILL');
    await first.node.exited;
    expect(existsSync(join(first.cwd, '.mobo', 'node.lock'))).toBe(true);

    const next = bootNode({ cwd: first.cwd, env: { MOBO_HTTP_PORT: String(await freePort()) } });
    nodes.push(next);
    await next.ready;
    expect((JSON.parse(readFileSync(join(first.cwd, '.mobo', 'node.lock'), 'utf8')) as { pid: number }).pid).toBe(next.proc.pid);
    next.proc.kill('SIGTERM');
    expect(await next.exited).toBe(0);
    expect(existsSync(join(first.cwd, '.mobo', 'node.lock'))).toBe(false);
  });

  it('a boot from another directory names the holder node, its pid and its data directory (human output)', async () => {
    const first = await firstNode();
    const other = tempDir('mobo-port-other-');
    const second = await mobo(['boot'], { cwd: other, env: { MOBO_HTTP_PORT: String(first.file.port), MOBO_NODE_ID: 'second-node' } });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('[HTTP_PORT_IN_USE]');
    expect(second.stderr).toContain(`is in use by MagMoBoMini node node1 (pid ${first.node.proc.pid}, data directory ${join(first.cwd, '.mobo')})`);
    expect(existsSync(join(other, '.mobo', 'node.json'))).toBe(false);
    expect(nodeJson(first.cwd)).toEqual(first.file);

    // The first node stops cleanly and removes its own node.json.
    first.node.proc.kill('SIGTERM');
    expect(await first.node.exited).toBe(0);
    expect(existsSync(join(first.cwd, '.mobo', 'node.json'))).toBe(false);
  });

  it('mobo status from a new directory that reaches another node on its port says so (exit 3), not AUTH_FORBIDDEN', async () => {
    const first = await firstNode();
    const other = tempDir('mobo-port-status-');
    expect((await mobo(['init'], { cwd: other })).code).toBe(0);
    const status = await mobo(['status'], { cwd: other, env: { MOBO_HTTP_PORT: String(first.file.port) } });
    expect(status.code).toBe(3);
    expect(status.stderr).toContain(`No node of ${join(other, '.mobo')} is running`);
    expect(status.stderr).toContain(`is node node1 (pid ${first.node.proc.pid}, data directory ${join(first.cwd, '.mobo')})`);
    expect(status.stderr).toContain('[NODE_UNREACHABLE]');
  });

  it('a port held by another program fails with HTTP_PORT_IN_USE naming the port', async () => {
    const server = createServer((_req, res) => res.end('not mobo'));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const cwd = tempDir('mobo-port-foreign-');
    const result = await mobo(['boot', '--json'], { cwd, env: { MOBO_HTTP_PORT: String(port) } });
    expect(result.code).toBe(1);
    const error = bootError(result.stderr);
    expect(error).toMatchObject({ code: 'HTTP_PORT_IN_USE', details: { host: '127.0.0.1', port } });
    expect(error.message).toContain(`Port ${port} (127.0.0.1:${port}) is in use by another program`);
    expect(existsSync(join(cwd, '.mobo', 'node.json'))).toBe(false);
  });
});
