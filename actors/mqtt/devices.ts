import type { Socket } from 'node:net';
import type { AccessGrant, Principal } from '../auth/principal.js';
import type { BrokerClient } from './broker.js';
import type { Clock } from '../../runtime/index.js';

/** What a connected client may do with plain (non-table) topics, worked out once per authentication. */
export interface TopicRights {
  publish: boolean;
  subscribe: boolean;
}

/** One authenticated MQTT connection: who it is and what it may touch. */
export interface Device {
  readonly client: BrokerClient;
  readonly project: string;
  readonly ip: string;
  /** The password it connected with (a key or a JWT), kept in memory only: re-checked when MagAuth changes. */
  readonly credential: string;
  readonly connectedAt: number;
  principal: Principal;
  rights: TopicRights;
  /** `source/table` → the read grant (row rule) for table-change topics it subscribed to. */
  readonly tables: Map<string, AccessGrant>;
  /** Publish token bucket. */
  tokens: number;
  refilledAt: number;
}

export function clientIp(client: BrokerClient): string {
  const req = (client as unknown as { req?: { socket?: Socket } }).req;
  const address = req?.socket?.remoteAddress ?? (client.conn as Partial<Socket>).remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** The connected devices of this node, by client and by project; counts for the per-project and per-IP limits. */
export class Devices {
  private readonly byClient = new WeakMap<BrokerClient, Device>();
  private readonly live = new Set<Device>();
  private readonly perProject = new Map<string, number>();
  private readonly perIp = new Map<string, number>();

  get(client: BrokerClient | null): Device | undefined {
    return client ? this.byClient.get(client) : undefined;
  }

  all(): Device[] {
    return [...this.live];
  }

  ofProject(project: string): Device[] {
    return this.all().filter((d) => d.project === project);
  }

  count(project: string, ip: string): { project: number; ip: number } {
    return { project: this.perProject.get(project) ?? 0, ip: this.perIp.get(ip) ?? 0 };
  }

  add(device: Device): void {
    this.byClient.set(device.client, device);
    this.live.add(device);
    bump(this.perProject, device.project, 1);
    bump(this.perIp, device.ip, 1);
  }

  remove(client: BrokerClient): Device | undefined {
    const device = this.byClient.get(client);
    if (!device || !this.live.delete(device)) return undefined;
    this.byClient.delete(client);
    bump(this.perProject, device.project, -1);
    bump(this.perIp, device.ip, -1);
    return device;
  }

  /** Takes one publish token; false when the device is over its rate. */
  take(device: Device, clock: Clock, rps: number, burst: number): boolean {
    const now = clock.now();
    device.tokens = Math.min(burst, device.tokens + ((now - device.refilledAt) / 1000) * rps);
    device.refilledAt = now;
    if (device.tokens < 1) return false;
    device.tokens -= 1;
    return true;
  }
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const next = (map.get(key) ?? 0) + by;
  if (next <= 0) map.delete(key);
  else map.set(key, next);
}
