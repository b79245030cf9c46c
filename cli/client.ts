import { readAdminToken } from '../gateway/admin-token.js';
import { nodeOnPort, readNodeFile, runningNode } from '../gateway/node-file.js';
import { loadConfig, type LoadedConfig } from '../config/index.js';
import { type ErrorBody, MoboError } from '../runtime/index.js';

/**
 * Talks to a running node's operator API. The node is found through
 * `<dataDir>/node.json` (written when its HTTP listener binds), else the configured
 * host and port; the admin token is read from `<dataDir>/admin.token`.
 */
export class NodeClient {
  private constructor(
    private readonly baseUrl: string,
    private readonly token: string | undefined,
    private readonly node: string | undefined,
    /** No node of this data directory recorded itself: whoever answers on the port is someone else's. */
    private readonly stranger: (() => MoboError) | undefined,
  ) {}

  static fromConfig(loaded: LoadedConfig, targetNode?: string): NodeClient {
    const { config } = loaded;
    const found = readNodeFile(config.dataDir);
    const host = found?.host ?? config.http.host;
    const port = found?.port ?? config.http.port;
    const hostPart = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
    const baseUrl = `http://${hostPart}:${port}`;
    const stranger = runningNode(config.dataDir) ? undefined : () => anotherNode(baseUrl, port, config.dataDir);
    return new NodeClient(baseUrl, readAdminToken(config.dataDir), targetNode, stranger);
  }

  static load(configFile: string | undefined, targetNode?: string): NodeClient {
    return NodeClient.fromConfig(loadConfig(configFile === undefined ? { sections: 'any' } : { file: configFile, sections: 'any' }), targetNode);
  }

  get url(): string {
    return this.baseUrl;
  }

  async health(): Promise<unknown> {
    const res = await this.fetch('/health', { method: 'GET' });
    return res.json();
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  patch<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('PATCH', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    if (!this.token) throw new MoboError('NODE_UNREACHABLE', 'No admin token in the data directory: is a node booted here? (mobo boot)');
    const url = this.node ? `${path}${path.includes('?') ? '&' : '?'}node=${encodeURIComponent(this.node)}` : path;
    const init: RequestInit = { method, headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await this.fetch(url, init);
    const parsed = (await res.json().catch(() => ({}))) as { data?: T; error?: ErrorBody };
    if (parsed.error) {
      const error = MoboError.fromBody(parsed.error);
      // This data directory's token refused by a node that is not this data directory's.
      throw this.stranger && error.code.startsWith('AUTH_') ? this.stranger() : error;
    }
    if (!res.ok) throw new MoboError('INTERNAL', `Node answered HTTP ${res.status}`);
    return parsed.data as T;
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(this.baseUrl + path, { ...init, signal: AbortSignal.timeout(35_000) });
    } catch (err) {
      throw new MoboError('NODE_UNREACHABLE', `No node answering at ${this.baseUrl} (is it booted? mobo boot)`, { details: { url: this.baseUrl }, cause: err });
    }
  }
}

function anotherNode(url: string, port: number, dataDir: string): MoboError {
  const holder = nodeOnPort(port, dataDir);
  const who = holder ? `node ${holder.nodeId} (pid ${holder.pid}, data directory ${holder.dataDir})` : 'another node';
  return new MoboError('NODE_UNREACHABLE', `No node of ${dataDir} is running; ${url} is ${who}. Boot this one (mobo boot) on another port, or run mobo from that node's directory`, {
    details: { url, dataDir, ...(holder ? { holder: { node: holder.nodeId, pid: holder.pid, dataDir: holder.dataDir } } : {}) },
  });
}
