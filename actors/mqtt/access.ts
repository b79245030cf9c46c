import type { AuthGatekeeper } from '../auth/gatekeeper.js';
import type { AccessGrant, Operation, Principal } from '../auth/principal.js';
import { ConnectRefused, type Message } from './broker.js';
import type { Device, TopicRights } from './devices.js';
import { filterCovers, filterMatches, isReserved, isValidFilter, namespaceOf, parseDbTopic } from './topics.js';
import { matchesFilter, type Row } from '../../adapters/index.js';
import { isMoboError } from '../../runtime/index.js';

export const TOPICS_TABLE = { source: 'mqtt', table: 'topics' } as const;

/** The principal behind a CONNECT's username and password, or the CONNACK code that refuses it. */
export async function authenticateDevice(gate: AuthGatekeeper, username: string | undefined, password: Buffer | undefined, ip: string): Promise<{ principal: Principal; credential: string }> {
  if (!username || !password || password.length === 0) throw new ConnectRefused(4, 'username (the project) and password (an API key or access token) are required');
  const credential = password.toString('utf8');
  try {
    return { principal: await gate.authenticate({ authorization: `Bearer ${credential}` }, username, ip), credential };
  } catch (err) {
    throw refusalFor(err);
  }
}

export function refusalFor(err: unknown): ConnectRefused {
  if (isMoboError(err, 'AUTH_FORBIDDEN') || isMoboError(err, 'AUTH_USER_DISABLED')) return new ConnectRefused(5, err.message);
  if (isMoboError(err) && err.code.startsWith('AUTH_')) return new ConnectRefused(4, err.message);
  return new ConnectRefused(3, 'server unavailable');
}

export async function topicRights(gate: AuthGatekeeper, principal: Principal): Promise<TopicRights> {
  const may = (operation: Operation) =>
    gate.authorize(principal, { project: principal.project, ...TOPICS_TABLE, operation }).then(
      () => true,
      () => false,
    );
  const [publish, subscribe] = await Promise.all([may('create'), may('read')]);
  return { publish, subscribe };
}

type Decision = { ok: true } | { ok: false; reason: string };
const no = (reason: string): Decision => ({ ok: false, reason });
const topicScopes = (p: Principal) => p.scopes?.topics;

export function mayPublish(device: Device, topic: string): Decision {
  const ns = namespaceOf(topic, device.project);
  if (!ns.ok) return no(ns.reason);
  if (ns.sys || isReserved(ns.relative)) return no(`${topic} is written by the broker only`);
  if (!device.rights.publish) return no(`role "${device.principal.role}" may not publish`);
  const allowed = topicScopes(device.principal)?.publish;
  if (allowed && !allowed.some((p) => filterMatches(p, ns.relative))) return no('this API key may not publish to that topic');
  return { ok: true };
}

/** Whether the subscription filter may reach plain topics (table-change topics are granted per table, see tableGrants). */
export function maySubscribePlain(device: Device, filter: string): Decision {
  if (!isValidFilter(filter)) return no('malformed topic filter');
  const ns = namespaceOf(filter, device.project);
  if (!ns.ok) return no(ns.reason);
  if (!device.rights.subscribe) return no(`role "${device.principal.role}" may not subscribe`);
  const allowed = topicScopes(device.principal)?.subscribe;
  if (!ns.sys && allowed && !allowed.some((p) => filterCovers(p, ns.relative))) return no('this API key may not subscribe to that filter');
  return { ok: true };
}

/** The `db/<source>/<table>` pairs a (relative) filter can reach among the given tables. */
export function tablesReached(relativeFilter: string, tables: Array<{ source: string; table: string }>): Array<{ source: string; table: string }> {
  return tables.filter(({ source, table }) => ['insert', 'update', 'delete'].some((op) => filterMatches(relativeFilter, `db/${source}/${table}/${op}`)));
}

const parsedChanges = new WeakMap<Buffer, { row?: Row; old?: Row } | null>();

/** Whether a delivery may reach this device: plain topics by its rights and scopes, table changes by its grant and row rule. */
export function mayReceive(device: Device, message: Message): boolean {
  const ns = namespaceOf(message.topic, device.project);
  if (!ns.ok) return false;
  if (ns.sys) return device.rights.subscribe;
  const db = parseDbTopic(message.topic);
  if (!db) {
    if (isReserved(ns.relative)) return device.rights.subscribe;
    if (!device.rights.subscribe) return false;
    const allowed = topicScopes(device.principal)?.subscribe;
    return !allowed || allowed.some((p) => filterMatches(p, ns.relative));
  }
  const grant = device.tables.get(`${db.source}/${db.table}`);
  if (!grant) return false;
  return rowVisible(grant, message);
}

function rowVisible(grant: AccessGrant, message: Message): boolean {
  if (!grant.rowFilter) return true;
  let change = parsedChanges.get(message.payload);
  if (change === undefined) {
    try {
      change = JSON.parse(message.payload.toString('utf8')) as { row?: Row; old?: Row };
    } catch {
      change = null;
    }
    parsedChanges.set(message.payload, change);
  }
  const row = message.topic.endsWith('/delete') ? change?.old : change?.row;
  if (!row) return false;
  try {
    return matchesFilter(grant.rowFilter, row);
  } catch {
    return false;
  }
}
