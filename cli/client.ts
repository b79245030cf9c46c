import { loadConfig, type LoadedConfig } from '../config/load.js';
import { readAdminToken } from '../gateway/admin-token.js';
import { readNodeFile } from '../gateway/node-file.js';
import { MoboError, type ErrorBody } from '../runtime/errors.js';

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
  ) {}

  static fromConfig(loaded: LoadedConfig, targetNode?: string): NodeClient {
    const { config } = loaded;
    const found = readNodeFile(config.dataDir);
    const host = found?.host ?? config.http.host;
    const port = found?.port ?? config.http.port;
    const hostPart = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
    return new NodeClient(`http://${hostPart}:${port}`, readAdminToken(config.dataDir), targetNode);
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
    if (parsed.error) throw MoboError.fromBody(parsed.error);
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
