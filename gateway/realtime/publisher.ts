import type { RealtimeApp } from './apps.js';
import type { ClientFilter, ClientView } from './client-query.js';
import type { ChannelEvent } from './fanout.js';

/**
 * Where events go: the built-in server (cluster fan-out) or an external Pusher/Soketi
 * (connector mode). The HTTP API and database channels publish through this.
 */
export interface RealtimePublisher {
  trigger(app: RealtimeApp, event: Omit<ChannelEvent, 'appId'>): Promise<void>;
}

/** Channel occupancy and presence members, where this node can answer them (built-in server only). */
export interface ChannelInfo {
  occupancy(appId: string, filter: { channel?: string; prefix?: string }): Promise<Record<string, number>>;
  users(appId: string, channel: string): string[];
  /** The app's connections across the cluster (optionally those subscribed to one channel). */
  clients(appId: string, filter: ClientFilter): Promise<ClientView[]>;
}
