/**
 * A run's own three-server NATS cluster with JetStream (nats-server 2.9, Debian's binary), on
 * free ports, its config and store dirs under one tmp dir: never the machine's shared server
 * on 4222. A server can be killed (-9) and restarted on the same ports and store, as the
 * nemesis does; `stop()` ends every server and removes the dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../cluster-haproxy.js';
import { waitUntil } from './wait.js';

const BINARY = process.env['NATS_SERVER_BIN'] ?? '/usr/sbin/nats-server';

export interface NatsServerProcess {
  name: string;
  port: number;
  /** Its monitoring port: `/healthz` says when its JetStream is ready. */
  httpPort: number;
  proc: ChildProcess;
  exited: Promise<void>;
}

export interface NatsCluster {
  /** `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`: what nodes take as MOBO_NATS_URL. */
  url: string;
  servers: NatsServerProcess[];
  /** kill -9 one server (resolves once it is gone). */
  kill(name: string): Promise<void>;
  /** Starts a killed server again with the same ports and store; resolves once it is healthy. */
  restart(name: string): Promise<void>;
  stop(): Promise<void>;
}

interface ServerSpec {
  name: string;
  port: number;
  httpPort: number;
  routePort: number;
  config: string;
}

function launch(spec: ServerSpec): NatsServerProcess {
  const proc = spawn(BINARY, ['-c', spec.config], { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr!.resume();
  const exited = new Promise<void>((r) => proc.once('close', () => r()));
  return { name: spec.name, port: spec.port, httpPort: spec.httpPort, proc, exited };
}

/** `/healthz?js-enabled-only`… is not in 2.9; plain `/healthz` answers 200 once the server (and its JetStream) is up. */
async function healthy(server: NatsServerProcess): Promise<boolean> {
  return fetch(`http://127.0.0.1:${server.httpPort}/healthz`).then(
    (r) => r.ok,
    () => false,
  );
}

/** A JetStream request succeeds only once the servers elected a meta leader: before, nodes could not make their buckets. */
async function jetStreamAnswers(url: string): Promise<boolean> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: url.split(','), timeout: 2_000 }).catch(() => undefined);
  if (!nc) return false;
  try {
    await (await jetstreamManager(nc, { timeout: 2_000 })).getAccountInfo();
    return true;
  } catch {
    return false;
  } finally {
    await nc.close();
  }
}

const running = (p: ChildProcess): boolean => p.exitCode === null && p.signalCode === null;

export async function startNatsCluster(opts: { name: string; size?: number }): Promise<NatsCluster> {
  const size = opts.size ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'mobo-chaos-nats-'));
  const specs: ServerSpec[] = [];
  for (let i = 0; i < size; i++) specs.push({ name: `n${i + 1}`, port: await freePort(), httpPort: await freePort(), routePort: await freePort(), config: join(dir, `n${i + 1}.conf`) });
  for (const spec of specs) {
    const store = join(dir, spec.name);
    mkdirSync(store);
    const routes = specs.filter((s) => s !== spec).map((s) => `nats-route://127.0.0.1:${s.routePort}`);
    writeFileSync(
      spec.config,
      [
        `server_name: ${spec.name}`,
        `listen: 127.0.0.1:${spec.port}`,
        `http: 127.0.0.1:${spec.httpPort}`,
        `jetstream { store_dir: "${store}", max_memory_store: 256MB, max_file_store: 2GB }`,
        `cluster { name: ${opts.name}, listen: 127.0.0.1:${spec.routePort}, routes: [${routes.join(', ')}] }`,
      ].join('\n') + '\n',
    );
  }
  const servers = specs.map(launch);
  const byName = (name: string): { spec: ServerSpec; index: number } => {
    const index = specs.findIndex((s) => s.name === name);
    if (index < 0) throw new Error(`no NATS server ${name}`);
    return { spec: specs[index]!, index };
  };
  const stop = async (): Promise<void> => {
    await Promise.all(
      servers.map(async (s) => {
        if (running(s.proc)) s.proc.kill('SIGTERM');
        const force = setTimeout(() => s.proc.kill('SIGKILL'), 5_000);
        await s.exited;
        clearTimeout(force);
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  const cluster: NatsCluster = {
    url: specs.map((s) => `127.0.0.1:${s.port}`).join(','),
    servers,
    async kill(name) {
      const server = servers[byName(name).index]!;
      if (running(server.proc)) server.proc.kill('SIGKILL');
      await server.exited;
    },
    async restart(name) {
      const { spec, index } = byName(name);
      if (running(servers[index]!.proc)) throw new Error(`NATS server ${name} is running`);
      const server = launch(spec);
      servers[index] = server;
      await waitUntil(() => healthy(server), `NATS server ${name} to be healthy again`, 30_000, () => running(server.proc)).catch(async (err: Error) => {
        // Say why (2.9 answers e.g. `JetStream stream '…' is not current` while a replica catches up).
        const said = await fetch(`http://127.0.0.1:${server.httpPort}/healthz`).then((r) => r.text(), () => 'no answer');
        throw new Error(`${err.message}; /healthz: ${said}`);
      });
    },
    stop,
  };
  try {
    await Promise.all(servers.map((s) => waitUntil(() => healthy(s), `NATS server ${s.name} to be healthy`, 30_000, () => running(s.proc))));
    await waitUntil(() => jetStreamAnswers(cluster.url), 'the JetStream cluster to elect its meta leader', 30_000);
    return cluster;
  } catch (err) {
    await stop();
    throw err;
  }
}
