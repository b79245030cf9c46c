/**
 * Revocation that reaches live sockets. A subscription authorized by the auth endpoint
 * carries the principal it was signed for; whenever MagAuth changes something of a project
 * (a key revoked, a user disabled or given another role, a policy, role or row rule changed)
 * this node re-checks every such subscription of that project and ends the ones no longer
 * allowed with `pusher:subscription_error`. The change reaches every node on the bus
 * (`security.auth.*`, over NATS in a cluster), so a socket is re-checked wherever it is.
 * Database channels whose row filter changed are ended too: the client subscribes again and
 * gets the new filter. A subscription signed for a user JWT also ends when that JWT expires
 * (subscriptions.ts: a timer per subscription, AUTH_TOKEN_EXPIRED).
 */
import type { AuthGatekeeper } from '../../actors/auth/gatekeeper.js';
import type { Principal } from '../../actors/auth/principal.js';
import type { Connection, Subscription } from './connection.js';
import { parseDbChannel } from './db-channels.js';
import type { RealtimeHub } from './hub.js';
import { revoke } from './subscriptions.js';
import { describeError, type Logger, MoboError, toMoboError } from '../../runtime/index.js';

const ANY = '*';

export function recheckOnAuthChanges(hub: RealtimeHub, gate: AuthGatekeeper, log: Logger): () => void {
  const pending = new Set<string>();
  let scheduled = false;

  const run = async (projects: Set<string>): Promise<void> => {
    // One re-check per principal per change, however many channels it holds.
    const checked = new Map<string, Promise<Principal | MoboError>>();
    const current = (p: Principal) => {
      const key = JSON.stringify([p.project, p.kind, p.subject, p.keyId ?? null, p.role]);
      let found = checked.get(key);
      if (!found) checked.set(key, (found = gate.recheck(p).catch((err: unknown) => toMoboError(err))));
      return found;
    };
    const work: Promise<void>[] = [];
    for (const conn of hub.delivery.all()) {
      if (!projects.has(ANY) && !projects.has(conn.app.project)) continue;
      for (const sub of conn.subscriptions.values()) if (sub.principal) work.push(recheck(conn, sub, sub.principal));
    }
    async function recheck(conn: Connection, sub: Subscription, signed: Principal): Promise<void> {
      const refusal = await allowed(await current(signed), sub);
      // The socket may have left the channel (or closed) while MagAuth was asked.
      if (refusal && conn.subscriptions.get(sub.channel) === sub) revoke(hub, conn, sub.channel, refusal);
    }
    await Promise.all(work);
  };

  const allowed = async (principal: Principal | MoboError, sub: Subscription): Promise<MoboError | undefined> => {
    if (principal instanceof MoboError) return principal;
    const db = parseDbChannel(sub.channel);
    if (!db) return undefined;
    try {
      const grant = await gate.authorize(principal, { project: principal.project, source: db.source, table: db.table, operation: 'read' });
      if (JSON.stringify(grant.rowFilter ?? null) !== sub.granted) return new MoboError('WS_UNAUTHORIZED', 'The row rule of this channel changed: subscribe again', { details: { reason: 'grant_changed' } });
      return undefined;
    } catch (err) {
      return toMoboError(err);
    }
  };

  return gate.onChange((change, project) => {
    if (change === 'signing') return;
    pending.add(project ?? ANY);
    if (scheduled) return;
    scheduled = true;
    // After every listener of this change ran (caches dropped), and once for a burst of changes.
    setImmediate(() => {
      scheduled = false;
      const projects = new Set(pending);
      pending.clear();
      run(projects).catch((err: unknown) => log.error('realtime re-check failed', { error: describeError(err) }));
    });
  });
}
