/** The three brokers of bench/mqtt.ts, each in its own process: MagMQTT (mobo boot), bare aedes, and the machine's Mosquitto. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, stopper, waitForLine } from './ws-servers.js';

export interface Broker {
  name: string;
  port: number;
  /** MQTT username/password and the topic prefix its clients must use. */
  username?: string;
  password?: string;
  prefix: string;
  /** The broker's process, for CPU; none for Mosquitto (a system service we do not own). */
  proc?: ChildProcess;
  admin?: <T>(method: string, path: string, body?: unknown) => Promise<T>;
  stop(): Promise<void>;
}

/** Extra node flags for the broker processes, e.g. `MQTT_BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'` to profile them. */
const brokerNodeArgs = (): string[] => (process.env.MQTT_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

export const MOSQUITTO_PORT = Number(process.env.MQTT_BENCH_MOSQUITTO_PORT ?? 1883);

export function mosquitto(): Broker {
  return { name: 'Mosquitto', port: MOSQUITTO_PORT, prefix: 'bench', stop: async () => undefined };
}

export async function bareAedes(): Promise<Broker> {
  const proc = spawn(process.execPath, [...brokerNodeArgs(), resolve('dist/bench/mqtt-aedes.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((ok, fail) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const m = /^PORT (\d+)$/.exec(line);
      if (m) ok(Number(m[1]));
    });
    proc.once('exit', (code) => fail(new Error(`bare aedes exited with ${code}`)));
  });
  return { name: 'bare aedes', port, prefix: 'bench', proc, stop: stopper(proc) };
}

/** A real node (`mobo boot`) with MagMQTT on a free port; limits raised so the bench measures the broker, not its guards. */
export async function magMqtt(pgUrl: string): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'mobo-mqttbench-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'mobo.config.json'),
    JSON.stringify({
      log: { level: 'warn', format: 'json' },
      ds: { poolMax: 10 },
      mqtt: { enabled: true, port, websocket: { port: null }, publishRate: { rps: 1_000_000, burst: 1_000_000 }, maxConnectionsPerIp: 100_000, maxConnectionsPerProject: 100_000, queueLimit: 100_000 },
    }),
  );
  const proc = spawn(process.execPath, [...brokerNodeArgs(), resolve('dist/bundle/main.js'), 'boot'], { cwd: dir, env: { ...process.env, MOBO_HTTP_PORT: '0', MOBO_DATA_DIR: join(dir, '.mobo') }, stdio: ['ignore', 'pipe', 'inherit'] });
  await waitForLine(proc, /READY|"event":"ready"/, 'mobo boot');
  const http = (JSON.parse(readFileSync(join(dir, '.mobo', 'node.json'), 'utf8')) as { port: number }).port;
  const token = readFileSync(join(dir, '.mobo', 'admin.token'), 'utf8').trim();
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${http}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const json = (await res.json()) as { data: T; error?: unknown };
    if (!res.ok) throw new Error(`${path}: ${JSON.stringify(json.error)}`);
    return json.data;
  };
  await admin('POST', '/v1/admin/projects', { name: 'bench' });
  await admin('POST', '/v1/admin/projects/bench/sources', { name: 'main', kind: 'postgres', url: pgUrl });
  const key = (await admin<{ key: string }>('POST', '/v1/admin/projects/bench/keys', { role: 'developer' })).key;
  return { name: 'MagMQTT', port, username: 'bench', password: key, prefix: 'bench', proc, admin, stop: stopper(proc) };
}
