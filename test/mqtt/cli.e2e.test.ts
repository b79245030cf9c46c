import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { bootNode, mobo, tempDir, type BootedNode } from '../support/cli.js';
import { closed, connect, endAll, freePort, publish } from './support.js';


describe('mobo mqtt:* end to end, through mobo boot', () => {
  const cwd = tempDir('mobo-mqtt-cli-');
  let node: BootedNode | undefined;
  const run = (...args: string[]) => mobo(args, { cwd });
  const json = async <T>(...args: string[]): Promise<T> => {
    const r = await run(...args, '--json');
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as T;
  };
  afterEach(endAll);
  afterAll(async () => {
    if (node && node.proc.exitCode === null) node.proc.kill('SIGKILL');
    await node?.exited;
  });

  it('boots the broker, adds and lists rules, shows stats and clients, kicks a client', async () => {
    const port = await freePort();
    writeFileSync(join(cwd, 'mobo.config.json'), JSON.stringify({ mqtt: { enabled: true, port, websocket: { port: null } } }));
    node = bootNode({ cwd });
    await node.ready;
    expect(node.lines.some((l) => /^POST\s+edge\s+mqtt\s+ok/.test(l))).toBe(true);
    expect((await run('project:create', 'plant-7')).code).toBe(0);
    expect((await run('source:add', 'plant-7', 'main', '--kind', 'sqlite', '--url', join(cwd, 'plant.db'))).code).toBe(0);
    const key = (await json<{ key: string }>('key:create', 'plant-7', '--role', 'developer')).key;

    const rule = await json<{ id: string; topic: string; table: string }>('mqtt:rule:add', 'plant-7', 'sensors/+/temp', '--into', 'main.readings', '--map', '{"sensor":"$topic[1]","value":"$.v"}');
    expect(rule).toMatchObject({ topic: 'sensors/+/temp', table: 'readings' });
    expect((await json<Array<{ id: string }>>('mqtt:rules', '--project', 'plant-7')).map((r) => r.id)).toEqual([rule.id]);
    const bad = await run('mqtt:rule:add', 'plant-7', 'sensors/#/x', '--into', 'main.readings', '--json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stderr).error.code).toBe('MESSAGE_INVALID');
    expect((await run('mqtt:rule:add', 'plant-7', 'a', '--into', 'main.readings', '--map', '{not json')).code).toBe(2);

    const device = await connect(port, { username: 'plant-7', password: key, clientId: 'sensor "7" ✓' });
    await publish(device, 'plant-7/hello', 'hi', { qos: 1 });
    const stats = await json<{ enabled: boolean; listening: { tcp: number }; connections: number; messagesIn: { qos1: number } }>('mqtt:stats');
    expect(stats).toMatchObject({ enabled: true, listening: { tcp: port }, connections: 1, messagesIn: { qos1: 1 } });
    const clients = await json<Array<{ clientId: string; project: string }>>('mqtt:clients');
    expect(clients).toEqual([expect.objectContaining({ clientId: 'sensor "7" ✓', project: 'plant-7' })]);
    const gone = closed(device);
    expect((await run('mqtt:kick', 'sensor "7" ✓')).code).toBe(0);
    await gone;
    expect((await run('mqtt:kick', 'nobody')).code).toBe(5);
    expect((await run('mqtt:rule:remove', 'plant-7', rule.id)).code).toBe(0);
    expect((await run('mqtt:rule:remove', 'plant-7', rule.id)).code).toBe(5);
    const text = await run('mqtt:stats');
    expect(text.stdout).toContain('connections  0');
  }, 90_000);
});
