import type { RealtimeApp } from './apps.js';
import { signRequest } from './signatures.js';
import { MoboError } from '../../runtime/index.js';

export interface PusherHttpOptions {
  timeoutMs: number;
  retries: number;
  backoffMs: number;
}

export interface TriggerInput {
  channels: string[];
  event: string;
  data: string;
  exclude?: string;
}

class Retryable extends Error {}

export class PusherHttpClient {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly opts: PusherHttpOptions,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  trigger(app: RealtimeApp, input: TriggerInput): Promise<unknown> {
    const body: Record<string, unknown> = { name: input.event, data: input.data, channels: input.channels };
    if (input.exclude !== undefined) body.socket_id = input.exclude;
    return this.send(app, 'POST', `/apps/${app.id}/events`, JSON.stringify(body));
  }

  /** A cheap signed read: proves the server answers and accepts the app's credentials. */
  ping(app: RealtimeApp, timeoutMs = this.opts.timeoutMs): Promise<unknown> {
    return this.once(app, 'GET', `/apps/${app.id}/channels`, undefined, timeoutMs).catch((err: unknown) => {
      throw err instanceof Retryable ? new MoboError('WS_CONNECTOR_UNAVAILABLE', undefined, { details: { reason: err.message } }) : err;
    });
  }

  private async send(app: RealtimeApp, method: string, path: string, body: string | undefined, retries = this.opts.retries): Promise<unknown> {
    let lastError: unknown;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, this.opts.backoffMs * 2 ** (attempt - 1)));
      try {
        return await this.once(app, method, path, body);
      } catch (err) {
        if (!(err instanceof Retryable)) throw err;
        lastError = err;
      }
    }
    throw new MoboError('WS_CONNECTOR_UNAVAILABLE', undefined, { details: { attempts: retries + 1, reason: lastError instanceof Error ? lastError.message : String(lastError) } });
  }

  private async once(app: RealtimeApp, method: string, path: string, body: string | undefined, timeoutMs = this.opts.timeoutMs): Promise<unknown> {
    const url = `${this.base}${path}?${signRequest(app, method, path, body, Date.now())}`;
    let res: Response;
    try {
      const init: RequestInit = { method, signal: AbortSignal.timeout(timeoutMs) };
      if (body !== undefined) init.body = body;
      if (body !== undefined) init.headers = { 'content-type': 'application/json' };
      res = await fetch(url, init);
    } catch (err) {
      throw new Retryable(err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err));
    }
    const text = await res.text();
    if (res.status >= 500 || res.status === 429) throw new Retryable(`HTTP ${res.status}`);
    if (res.status >= 400) throw new MoboError('WS_CONNECTOR_UNAVAILABLE', `The external realtime server refused the request (HTTP ${res.status})`, { details: { status: res.status } });
    return text.length > 0 ? (JSON.parse(text) as unknown) : {};
  }
}
