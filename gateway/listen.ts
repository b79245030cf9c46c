import type { Board } from '../actors/board.js';
import type { HttpServer } from './http-server.js';
import { nodeOnPort, writeNodeFile, type NodeFile } from './node-file.js';
import { MoboError } from '../runtime/index.js';

const PROBE_TIMEOUT_MS = 1_500;

/**
 * Binds the node's HTTP port (exclusively) and records it in node.json (the caller removes
 * it with removeNodeFile when the listener stops: only if it is still this run's). A refused bind
 * becomes HTTP_PORT_IN_USE naming the port and, when a MagMoBoMini node holds it, that
 * node's id, pid and data directory.
 */
export async function listenAndRecord(server: HttpServer, board: Board): Promise<NodeFile> {
  const { http, dataDir } = board.configStore.current();
  let port: number;
  try {
    port = await server.listen(http.host, http.port);
  } catch (err) {
    throw await whyRefused(http.host, http.port, dataDir, err);
  }
  const own: NodeFile = { pid: process.pid, nodeId: board.nodeId, host: http.host, port, startedAt: new Date().toISOString(), dataDir };
  writeNodeFile(own);
  return own;
}

async function whyRefused(host: string, port: number, dataDir: string, cause: unknown): Promise<MoboError> {
  const where = `${host}:${port}`;
  const change = 'stop it, or give this node another port (http.port, MOBO_HTTP_PORT)';
  const holder = nodeOnPort(port, dataDir);
  if (holder) {
    const { nodeId, pid, dataDir: holderDir } = holder;
    return new MoboError('HTTP_PORT_IN_USE', `Port ${port} (${where}) is in use by MagMoBoMini node ${nodeId} (pid ${pid}, data directory ${holderDir}): ${change}`, {
      details: { host, port, holder: { node: nodeId, pid, dataDir: holderDir } },
      cause,
    });
  }
  const answer = await probe(host, port);
  if (answer === 'nothing') {
    return new MoboError('HTTP_LISTEN_FAILED', `Cannot listen on ${where}: the address is not available on this machine, or binding it is not permitted`, {
      details: { host, port },
      cause,
    });
  }
  const by = answer === 'other' ? 'another program' : `MagMoBoMini node ${answer.node}`;
  return new MoboError('HTTP_PORT_IN_USE', `Port ${port} (${where}) is in use by ${by}: ${change}`, {
    details: { host, port, ...(answer === 'other' ? {} : { holder: { node: answer.node } }) },
    cause,
  });
}

/** Who answers on the port: a MagMoBoMini node (its /health names it), something else, or nothing. */
async function probe(host: string, port: number): Promise<{ node: string } | 'other' | 'nothing'> {
  const target = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  try {
    const res = await fetch(`http://${target}:${port}/health`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const body = (await res.json().catch(() => undefined)) as { node?: unknown; components?: unknown } | undefined;
    return typeof body?.node === 'string' && Array.isArray(body.components) ? { node: body.node } : 'other';
  } catch (err) {
    // A refused connection means no one listens; anything else (a timeout, a non-HTTP peer) means someone does.
    return (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED' ? 'nothing' : 'other';
  }
}
