import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { MoboNode } from '../../actors/node.js';
import { readNodeFile } from '../../gateway/node-file.js';
import { flagString } from '../args.js';
import type { Command } from '../command.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { Output } from '../output.js';
import { loadConfig, withoutCredentials } from '../../config/index.js';
import { describeError, isMoboError, MoboError } from '../../runtime/index.js';

interface PostEvent {
  supervisor: string;
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

export const bootCommand: Command = {
  name: 'boot',
  summary: 'Boot a node in the foreground (POST, components, ready)',
  usage: 'mobo boot [--config FILE] [--json]',
  flags: {},
  details:
    'Runs until SIGINT/SIGTERM (or `mobo shutdown`), then stops the tree in reverse order. SIGHUP reloads the config.\n' +
    'Exit: 0 after a clean shutdown, 1 if boot failed, 6 on bad config, 70 if the root supervisor gave up.',
  async run(args, out) {
    const t0 = performance.now();
    // As Postgres does: whatever the node writes (control store, WAL, keys, archives) is its owner's only.
    process.umask(0o077);
    const configFile = flagString(args, 'config');
    const { MoboNode } = await import('../../actors/node.js');
    const { defaultSlots } = await import('../../actors/components.js');
    const { configSections } = await import('../../actors/motherboard.js');
    const slots = defaultSlots();
    const loadOptions = { ...(configFile === undefined ? {} : { file: configFile }), sections: configSections(slots) };
    const loaded = loadConfig(loadOptions);
    const node = await MoboNode.create({ loaded, loadOptions, slots });
    const { config } = loaded;
    out.line(`MagMoBoMini ${config.node.id} · ${config.transport.kind === 'nats' ? `cluster via NATS ${withoutCredentials(config.transport.natsUrl)}` : 'embedded'} · data ${config.dataDir}`);
    node.system.events.on<PostEvent>('system.post', ({ payload: p }) => {
      if (out.json) return out.result({ event: 'post', ...p }, () => '');
      const mark = p.ok ? 'ok' : `FAILED: ${p.error ?? ''}`;
      out.line(`POST  ${p.supervisor.padEnd(8)} ${p.name.padEnd(10)} ${mark.padEnd(4)} ${p.ms.toFixed(1).padStart(6)} ms`);
    });
    // Signals are handled from before the POST, so a signal sent the moment READY appears is never lost.
    const stopSignals = handleSignals(node, out);
    try {
      await node.boot();
    } catch (err) {
      stopSignals();
      out.error(postCause(err));
      return EXIT.FAILED;
    }
    const ms = performance.now() - t0;
    await node.system.events.settled();
    const sinceStart = performance.now();
    const address = readAddress(node);
    out.result(
      { event: 'ready', node: node.nodeId, pid: process.pid, bootMs: ms, sinceProcessStartMs: sinceStart, http: address },
      () => `READY ${node.nodeId} in ${ms.toFixed(0)} ms (${sinceStart.toFixed(0)} ms since process start) · ${address} · pid ${process.pid}`,
    );
    if (!out.json) out.line(`admin page ${address}/_/ · log in with the token in ${join(node.configStore.current().dataDir, 'admin.token')}`);
    return runUntilEnd(node, out);
  },
};

/** A failed POST as the component's own error, so the CLI shows its code (HTTP_PORT_IN_USE, CONTROL_STORE_MISSING …). */
function postCause(err: unknown): unknown {
  let error = err;
  while (isMoboError(error, 'SUP_POST_FAILED') && error.cause instanceof MoboError) error = error.cause;
  return error;
}

/** SIGINT/SIGTERM ask for a clean shutdown (a second one forces exit); SIGHUP reloads config. */
function handleSignals(node: MoboNode, out: Output): () => void {
  let signals = 0;
  const onStop = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) process.exit(EXIT.INTERRUPTED);
    node.requestShutdown(`signal ${signal}`);
  };
  const onReload = (): void => {
    node.system
      .ref(node.address('config'))
      .ask('config.reload')
      .then(
        (diff) => out.line(`config reloaded: ${JSON.stringify(diff)}`),
        (err: unknown) => out.error(err),
      );
  };
  process.on('SIGINT', onStop);
  process.on('SIGTERM', onStop);
  process.on('SIGHUP', onReload);
  return () => {
    process.off('SIGINT', onStop);
    process.off('SIGTERM', onStop);
    process.off('SIGHUP', onReload);
  };
}

function readAddress(node: MoboNode): string {
  const { http, dataDir } = node.configStore.current();
  return `http://${http.host}:${readNodeFile(dataDir)?.port ?? http.port}`;
}

async function runUntilEnd(node: MoboNode, out: Output): Promise<ExitCode> {
  const end = await node.ended;
  out.line(end.kind === 'shutdown' ? `Shutting down (${end.reason})…` : `FATAL: ${describeError(end.error)}`);
  await node.stop();
  out.result({ event: 'stopped', node: node.nodeId, end: end.kind }, () => 'Stopped.');
  return end.kind === 'shutdown' ? EXIT.OK : EXIT.FATAL;
}
