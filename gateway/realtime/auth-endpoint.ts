/**
 * The channel-auth endpoint: `POST /v1/realtime/:project/auth` with pusher-js's form
 * body (`socket_id`, `channel_name`; JSON works too) and a MagAuth credential in the
 * headers (`Authorization: Bearer <jwt | API key>` or `apikey`), as pusher-js sends them
 * with `channelAuthorization: { endpoint, headers }`. It answers `{auth[, channel_data]}`
 * signed with the project's app secret:
 *
 * - private-*: any principal of the project;
 * - presence-*: user_id is the principal's subject (clients cannot choose it), user_info its kind and role;
 * - private-db-<source>.<table>: needs read on the table; the grant's row filter is signed
 *   into channel_data, so the node holding the socket filters rows without asking again.
 *
 * Every answer also signs the principal into channel_data (`principal`: kind, subject, role,
 * key id), so the node holding the socket can re-check it when a key is revoked, a user
 * disabled or a policy changed, wherever the socket is (revocation.ts).
 */
import type { AccessGrant, Gatekeeper, Principal } from '../../actors/auth/principal.js';
import type { EdgeContext } from '../edge.js';
import type { HttpRequest } from '../http-types.js';
import type { AppDirectory } from './apps.js';
import { parseDbChannel } from './db-channels.js';
import { assertChannelName, channelKind, SOCKET_ID } from './protocol.js';
import { signChannel } from './signatures.js';
import { MoboError } from '../../runtime/index.js';

export const AUTH_PATH = '/v1/realtime/:project/auth';

export interface AuthPolicy {
  /**
   * Connector mode: the sockets live on an external Pusher/Soketi server. Database channels
   * whose grant carries a row filter are refused (it cannot filter rows), and private channels
   * are signed as Pusher signs them (no channel_data), since it cannot re-check a principal.
   */
  external: boolean;
}

function formOrJson(req: HttpRequest): Record<string, string> {
  const text = req.body.toString('utf8');
  if ((req.headers['content-type'] ?? '').includes('json')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object') return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
    } catch {
      throw new MoboError('HTTP_BAD_JSON');
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

/** What of the principal a subscription keeps, to be re-checked later. */
export function principalRef(p: Principal): SignedPrincipal {
  return { kind: p.kind, subject: p.subject, role: p.role, ...(p.keyId === undefined ? {} : { keyId: p.keyId }), ...(p.expiresAt === undefined ? {} : { expiresAt: p.expiresAt }) };
}
export type SignedPrincipal = Pick<Principal, 'kind' | 'subject' | 'role' | 'keyId' | 'expiresAt'>;

async function channelData(gatekeeper: Gatekeeper, principal: Principal, channel: string, policy: AuthPolicy): Promise<string | undefined> {
  const signed = principalRef(principal);
  const db = parseDbChannel(channel);
  if (db) {
    const grant: AccessGrant = await gatekeeper.authorize(principal, { project: principal.project, source: db.source, table: db.table, operation: 'read' });
    if (grant.rowFilter && policy.external) {
      throw new MoboError('AUTH_FORBIDDEN', 'This table has a row rule for you, and the external realtime server cannot filter rows', { details: { channel } });
    }
    return JSON.stringify(grant.rowFilter ? { filter: grant.rowFilter, principal: signed } : { principal: signed });
  }
  if (channelKind(channel) === 'presence') return JSON.stringify({ user_id: principal.subject, user_info: { kind: principal.kind, role: principal.role }, principal: signed });
  return policy.external ? undefined : JSON.stringify({ principal: signed });
}

export function mountRealtimeAuth(edge: EdgeContext, apps: AppDirectory, gatekeeper: () => Gatekeeper, policy: AuthPolicy): void {
  edge.router.post(AUTH_PATH, async (req) => {
    const project = req.params.project!;
    const { socket_id: socketId, channel_name: channel } = formOrJson(req);
    if (!socketId || !SOCKET_ID.test(socketId)) throw new MoboError('WS_BAD_MESSAGE', '"socket_id" is missing or malformed');
    assertChannelName(channel);
    if (channelKind(channel) === 'public') throw new MoboError('WS_BAD_MESSAGE', 'Public channels need no authorization');
    const principal = req.principal!;
    const data = await channelData(gatekeeper(), principal, channel, policy);
    const app = await apps.forProject(project);
    const body = data === undefined ? { auth: signChannel(app, socketId, channel) } : { auth: signChannel(app, socketId, channel, data), channel_data: data };
    return { status: 200, headers: { 'cache-control': 'no-store' }, body };
  }, { authenticate: (req) => gatekeeper().authenticate(req.headers, req.params.project!, req.ip) });
}
