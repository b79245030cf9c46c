import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bootNode, mobo, tempDir, type BootedNode } from '../support/cli.js';
import { NATS_URL } from '../support/nats.js';
import { waitFor } from '../support/wait.js';

interface Status {
  node: string;
  mode: string;
  components: Array<{ name: string; state: string; health: string; restarts: number }>;
}

const component = (s: Status, name: string) => s.components.find((c) => c.name === name);

describe('mobo CLI end to end', () => {
  const nodes: BootedNode[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0)) {
      if (n.proc.exitCode === null) n.proc.kill('SIGKILL');
      await n.exited;
    }
  });

  it('boots with POST, reports status, survives chaos:kill, and shuts down cleanly', async () => {
    const cwd = tempDir();
    const node = bootNode({ cwd });
    nodes.push(node);
    await node.ready;
    const postLines = node.lines.filter((l) => l.startsWith('POST'));
    const names = postLines.map((l) => l.split(/\s+/)[2]!);
    // Kernel services first, in dependency order; then the groups in motherboard order.
    expect(names.slice(0, 9)).toEqual(['config', 'logger', 'registry', 'state', 'cache', 'store', 'health', 'control', 'kernel']);
    const groups = ['kernel', 'security', 'data', 'edge', 'ops'].map((g) => names.indexOf(g));
    expect(groups.every((index) => index >= 0)).toBe(true);
    expect([...groups].sort((a, b) => a - b)).toEqual(groups);
    expect(names).toEqual(expect.arrayContaining(['auth', 'ds', 'catalog', 'http', 'bridge']));
    expect(postLines.every((l) => / ok /.test(l))).toBe(true);
    expect(statSync(join(cwd, '.mobo', 'admin.token')).mode & 0o777).toBe(0o600);

    const status = await mobo(['status', '--json'], { cwd });
    expect(status.code).toBe(0);
    const before = JSON.parse(status.stdout) as Status;
    expect(before.mode).toBe('embedded');
    for (const c of before.components) expect(c).toMatchObject({ state: 'running', health: 'healthy', restarts: 0 });

    const kill = await mobo(['chaos:kill', 'cache'], { cwd });
    expect(kill).toMatchObject({ code: 0, stdout: 'killed cache\n' });
    const after = await waitFor(async () => {
      const s = JSON.parse((await mobo(['status', '--json'], { cwd })).stdout) as Status;
      return component(s, 'cache')?.restarts === 1 && component(s, 'cache')?.state === 'running' ? s : undefined;
    }, 'cache to come back');
    expect(component(after, 'config')?.restarts).toBe(0);

    const health = await mobo(['health:check'], { cwd });
    expect(health).toMatchObject({ code: 0, stdout: 'node1: healthy\n' });

    const shutdown = await mobo(['shutdown'], { cwd });
    expect(shutdown.code).toBe(0);
    expect(await node.exited).toBe(0);
    expect(node.lines.at(-1)).toBe('Stopped.');
    expect(existsSync(join(cwd, '.mobo', 'node.json'))).toBe(false);
  });

  it('restarts the edge group when the kernel group is killed (rest_for_one at the root)', async () => {
    const cwd = tempDir();
    const node = bootNode({ cwd });
    nodes.push(node);
    await node.ready;
    expect((await mobo(['chaos:kill', 'kernel'], { cwd })).code).toBe(0);
    const s = await waitFor(async () => {
      const r = await mobo(['status', '--json'], { cwd });
      if (r.code !== 0) return undefined;
      const st = JSON.parse(r.stdout) as Status;
      return component(st, 'edge')?.restarts === 1 && st.components.every((c) => c.state === 'running') ? st : undefined;
    }, 'kernel and edge to come back');
    expect(component(s, 'kernel')?.restarts).toBe(1);
    node.proc.kill('SIGTERM');
    expect(await node.exited).toBe(0);
  });

  it('stops and starts a component by name, and says clearly what is wrong with bad input', async () => {
    const cwd = tempDir();
    const node = bootNode({ cwd });
    nodes.push(node);
    await node.ready;
    expect(await mobo(['component:stop', 'cache'], { cwd })).toMatchObject({ code: 0, stdout: 'cache: stopped\n' });
    const stopped = JSON.parse((await mobo(['component:list', '--json'], { cwd })).stdout) as Status['components'];
    expect(stopped.find((c) => c.name === 'cache')).toMatchObject({ state: 'stopped', health: 'stopped' });
    // Parked, not broken: the node still serves (degraded), and says which component and why.
    expect(await mobo(['health:check'], { cwd })).toMatchObject({ code: 4, stdout: expect.stringMatching(/^node1: degraded\n  cache: stopped \(parked/) });
    expect(await mobo(['component:start', 'cache'], { cwd })).toMatchObject({ code: 0, stdout: 'cache: started\n' });
    expect((await mobo(['health:check'], { cwd })).code).toBe(0);

    const missing = await mobo(['chaos:kill', 'nope', '--json'], { cwd });
    expect(missing.code).toBe(5);
    expect(JSON.parse(missing.stderr)).toEqual({ error: { code: 'SUP_CHILD_NOT_FOUND', message: 'No component named "nope"', details: { name: 'nope' } } });
    expect((await mobo(['component:restart'], { cwd })).code).toBe(2);
    expect((await mobo(['frobnicate'], { cwd })).code).toBe(2);
    node.proc.kill('SIGINT');
    expect(await node.exited).toBe(0);
  });

  it('refuses the admin API without the node token', async () => {
    const cwd = tempDir();
    const node = bootNode({ cwd });
    nodes.push(node);
    await node.ready;
    const { port } = JSON.parse(readFileSync(join(cwd, '.mobo', 'node.json'), 'utf8')) as { port: number };
    const anon = await fetch(`http://127.0.0.1:${port}/v1/admin/status`);
    expect(anon.status).toBe(401);
    expect(await anon.json()).toMatchObject({ error: { code: 'AUTH_REQUIRED' } });
    const wrong = await fetch(`http://127.0.0.1:${port}/v1/admin/chaos/kill/cache`, { method: 'POST', headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(403);
    const health = await fetch(`http://127.0.0.1:${port}/health`, { headers: { 'x-request-id': 'probe-1' } });
    expect(health.status).toBe(200);
    expect(health.headers.get('x-request-id')).toBe('probe-1');
    expect(await health.json()).toMatchObject({ status: 'healthy', node: 'node1' });
    const lost = await fetch(`http://127.0.0.1:${port}/nowhere`);
    expect(lost.status).toBe(404);
    expect(await lost.json()).toMatchObject({ error: { code: 'HTTP_NOT_FOUND' }, meta: { request_id: expect.any(String) } });
    node.proc.kill('SIGTERM');
    await node.exited;
  });

  it('fails boot with exit 6 and a message naming the bad setting', async () => {
    const cwd = tempDir();
    const run = await mobo(['boot'], { cwd, env: { MOBO_HTTP_PORT: 'eighty' } });
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('http.port = "eighty" (from MOBO_HTTP_PORT)');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('reloads the log level and health interval without a restart; reports what needs one', async () => {
    const cwd = tempDir();
    const node = bootNode({ cwd });
    nodes.push(node);
    await node.ready;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(cwd, 'mobo.config.json'), JSON.stringify({ log: { level: 'debug' }, health: { intervalMs: 200 }, node: { id: 'renamed' } }));
    node.proc.kill('SIGHUP');
    const line = await waitFor(() => node.lines.find((l) => l.startsWith('config reloaded')), 'reload line');
    expect(JSON.parse(line.slice('config reloaded: '.length))).toEqual({ applied: ['log.level', 'health.intervalMs'], needsRestart: ['node.id'] });
    const status = JSON.parse((await mobo(['status', '--json'], { cwd })).stdout) as Status;
    expect(status.node).toBe('node1');
    node.proc.kill('SIGTERM');
    expect(await node.exited).toBe(0);
  });

  it('in cluster mode, reaches another node through this one over NATS', async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const [cwdA, cwdB] = [tempDir(), tempDir()];
    const env = (id: string) => ({ MOBO_NATS_URL: NATS_URL, MOBO_NODE_ID: `${id}-${suffix}` });
    const a = bootNode({ cwd: cwdA, env: env('a') });
    const b = bootNode({ cwd: cwdB, env: env('b') });
    nodes.push(a, b);
    await Promise.all([a.ready, b.ready]);
    const remote = await mobo(['status', '--json', '--node', `b-${suffix}`], { cwd: cwdA });
    expect(remote.code).toBe(0);
    const status = JSON.parse(remote.stdout) as Status;
    expect(status).toMatchObject({ node: `b-${suffix}`, mode: 'cluster' });
    expect((await mobo(['chaos:kill', 'state', '--node', `b-${suffix}`], { cwd: cwdA })).code).toBe(0);
    await waitFor(async () => {
      const st = JSON.parse((await mobo(['status', '--json'], { cwd: cwdB })).stdout) as Status;
      return component(st, 'state')?.restarts === 1 && component(st, 'state')?.state === 'running';
    }, 'state on node b to restart');
    const localA = JSON.parse((await mobo(['status', '--json'], { cwd: cwdA })).stdout) as Status;
    expect(component(localA, 'state')?.restarts).toBe(0);
    await mobo(['shutdown', '--node', `b-${suffix}`], { cwd: cwdA });
    expect(await b.exited).toBe(0);
    const gone = await mobo(['status', '--node', `b-${suffix}`], { cwd: cwdA });
    expect(gone.code).toBe(5);
    a.proc.kill('SIGTERM');
    expect(await a.exited).toBe(0);
  });
});
