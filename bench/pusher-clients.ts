/**
 * pusher-js clients for the change-latency benchmarks: each subscribes to one private channel
 * of a node (its auth endpoint signs with the given API key) and hands every non-pusher event's
 * data to `onEvent`. Resolves once every client's subscription succeeded.
 */
import PusherJs, { type Options } from 'pusher-js';

const Pusher = PusherJs as unknown as typeof PusherJs.default;
export type PusherClient = InstanceType<typeof Pusher>;

export interface ClientTarget {
  /** The node's HTTP port (WebSocket and auth endpoint). */
  port: number;
  appKey: string;
  authEndpoint: string;
  apiKey: string;
}

/** pusher-js options for a node on this machine: its WebSocket only, no stats, channels authorised at `authUrl`. */
export function localPusherOptions(port: number, authUrl: string, headers: Record<string, string>): Options {
  return {
    cluster: 'local',
    wsHost: '127.0.0.1',
    wsPort: port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    channelAuthorization: { endpoint: authUrl, transport: 'ajax', headers },
  };
}

export async function subscribeClients<T>(targets: readonly ClientTarget[], channelName: string, onEvent: (data: T) => void): Promise<PusherClient[]> {
  const clients: PusherClient[] = [];
  try {
    await Promise.all(
      targets.map(async (t) => {
        const client = new Pusher(t.appKey, localPusherOptions(t.port, `http://127.0.0.1:${t.port}${t.authEndpoint}`, { authorization: `Bearer ${t.apiKey}` }));
        clients.push(client);
        const channel = client.subscribe(channelName);
        await new Promise<void>((ok, fail) => {
          channel.bind('pusher:subscription_succeeded', () => ok());
          channel.bind('pusher:subscription_error', () => fail(new Error(`subscription to ${channelName} refused`)));
        });
        channel.bind_global((event: string, data: T) => {
          if (!event.startsWith('pusher')) onEvent(data);
        });
      }),
    );
    return clients;
  } catch (err) {
    for (const c of clients) c.disconnect();
    throw err;
  }
}
