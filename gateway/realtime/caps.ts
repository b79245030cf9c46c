import { MoboError } from '../../runtime/index.js';

export interface ConnectionCaps {
  /** Sockets this node holds at most. */
  maxConnections: number;
  /** Sockets one client address may hold on this node. */
  maxConnectionsPerIp: number;
  /** Sockets one app (one project) may hold on this node, so one tenant cannot take a node's every socket. */
  maxConnectionsPerApp: number;
}

/** This node's open sockets per client address and per app, and the caps they must stay under. */
export class ConnectionCounts {
  private total = 0;
  private readonly byIp = new Map<string, number>();
  private readonly byApp = new Map<string, number>();

  /** Counts the socket in, or refuses it (WS_OVER_CAPACITY, Pusher code 4100) naming the cap it would pass. */
  admit(ip: string, appId: string, caps: ConnectionCaps): void {
    const over = (limit: string, max: number) =>
      new MoboError('WS_OVER_CAPACITY', `Over the realtime connection cap (${limit} ${max})`, { details: { limit, max } });
    if (this.total >= caps.maxConnections) throw over('maxConnections', caps.maxConnections);
    if ((this.byApp.get(appId) ?? 0) >= caps.maxConnectionsPerApp) throw over('maxConnectionsPerApp', caps.maxConnectionsPerApp);
    if ((this.byIp.get(ip) ?? 0) >= caps.maxConnectionsPerIp) throw over('maxConnectionsPerIp', caps.maxConnectionsPerIp);
    this.total++;
    this.byIp.set(ip, (this.byIp.get(ip) ?? 0) + 1);
    this.byApp.set(appId, (this.byApp.get(appId) ?? 0) + 1);
  }

  release(ip: string, appId: string): void {
    this.total--;
    for (const [map, key] of [[this.byIp, ip], [this.byApp, appId]] as const) {
      const n = (map.get(key) ?? 1) - 1;
      if (n > 0) map.set(key, n);
      else map.delete(key);
    }
  }
}
