import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import PusherServer from 'pusher';
import PusherJs from 'pusher-js';
import type { Channel, Options } from 'pusher-js';
import type { MoboNode } from '../../actors/node.js';
import { localPusherOptions } from '../../bench/pusher-clients.js';
import { readAdminToken } from '../../gateway/admin-token.js';
import { readNodeFile } from '../../gateway/node-file.js';
import { tempDir } from '../support/cli.js';
import { startTestNode } from '../support/node.js';

/** pusher-js is CommonJS: at run time its module is the class (its typings say `.default`). */
const Pusher = PusherJs as unknown as typeof PusherJs.default;
export type PusherClient = InstanceType<typeof PusherJs.default>;

export interface RealtimeCreds {
  project: string;
  appId: string;
  key: string;
  secret: string;
  authEndpoint: string;
}

export interface TestNode {
  node: MoboNode;
  dir: string;
  port: number;
  url: string;
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

/** An in-process node with a config file (realtime settings) and its HTTP address. */
export async function startRealtimeNode(config: Record<string, unknown> = {}, env: Record<string, string> = {}): Promise<TestNode> {
  const dir = tempDir('mobo-ws-');
  writeFileSync(join(dir, 'mobo.config.json'), JSON.stringify(config));
  return testNodeOf(await startTestNode(env, dir), dir);
}

/** A started node as a TestNode: its HTTP address and an admin API caller with its admin token. */
export function testNodeOf(node: MoboNode, dir: string): TestNode {
  const port = readNodeFile(dir)!.port;
  const url = `http://127.0.0.1:${port}`;
  const token = readAdminToken(dir)!;
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as { data?: T; error?: unknown };
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json.error)}`);
    return json.data as T;
  };
  return { node, dir, port, url, admin };
}

/** Creates a project (if missing) and returns its realtime app. */
export async function projectApp(t: TestNode, project: string): Promise<RealtimeCreds> {
  await t.admin('POST', '/v1/admin/projects', { name: project }).catch(() => undefined);
  const app = await t.admin<RealtimeCreds>('GET', `/v1/admin/projects/${project}/realtime`);
  return { ...app, project };
}

export async function issueToken(t: TestNode, project: string, sub: string, role = 'viewer'): Promise<string> {
  const issued = await t.admin<{ accessToken?: string; access_token?: string; token?: string }>('POST', `/v1/admin/projects/${project}/tokens`, { role, sub });
  const token = issued.accessToken ?? issued.access_token ?? issued.token;
  if (!token) throw new Error(`no token in ${JSON.stringify(issued)}`);
  return token;
}

/** A pusher-js client in Node (its ws transport) against a node; resolves once connected. */
export async function connectClient(t: TestNode, app: RealtimeCreds, credential?: string, extra: Partial<Options> = {}): Promise<PusherClient> {
  const client = new Pusher(app.key, { ...localPusherOptions(t.port, t.url + app.authEndpoint, credential === undefined ? {} : { authorization: `Bearer ${credential}` }), ...extra });
  await new Promise<void>((resolve, reject) => {
    client.connection.bind('connected', () => resolve());
    client.connection.bind('failed', () => reject(new Error('pusher-js could not connect')));
  });
  return client;
}

/** Subscribes and resolves once the server confirmed (rejects on subscription_error). */
export function subscribed(client: PusherClient, channel: string): Promise<Channel> {
  const ch = client.subscribe(channel);
  return new Promise((resolve, reject) => {
    ch.bind('pusher:subscription_succeeded', () => resolve(ch));
    ch.bind('pusher:subscription_error', (err: unknown) => reject(Object.assign(new Error(`subscription to ${channel} refused`), { detail: err })));
  });
}

/** The next `event` on a channel. */
export function next<T = unknown>(channel: Channel, event: string, predicate: (data: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => {
    const handler = (data: T): void => {
      if (!predicate(data)) return;
      channel.unbind(event, handler);
      resolve(data);
    };
    channel.bind(event, handler);
  });
}

/** The official server library, pointed at a node. */
export function serverLib(t: TestNode, app: RealtimeCreds): PusherServer {
  return new PusherServer({ appId: app.appId, key: app.key, secret: app.secret, host: '127.0.0.1', port: String(t.port), useTLS: false });
}

export function disconnect(client: PusherClient): Promise<void> {
  if (client.connection.state === 'disconnected') return Promise.resolve();
  return new Promise((resolve) => {
    client.connection.bind('disconnected', () => resolve());
    client.disconnect();
  });
}
