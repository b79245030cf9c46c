/**
 * One LISTEN connection per database (server + database), shared by every change feed of this
 * process on it: each feed subscribes with its own callbacks and filters the notices it gets
 * (postgres-feed.ts keeps only its schema). The connection opens with the first subscriber and
 * closes with the last; when it dies every subscriber hears `onLost` once (and re-subscribes
 * with its own backoff, so the first one back opens the next connection). Driver-neutral: the
 * driver passes how to open the raw connection.
 */
import type { ListenConnection, OpenListener } from './postgres-feed.js';

interface Subscriber {
  onNotify(payload: string): void;
  onLost(err: unknown): void;
}

interface Shared {
  subscribers: Set<Subscriber>;
  connection: Promise<ListenConnection>;
}

const hubs = new Map<string, Shared>();

/** Subscribes to the shared LISTEN connection of `key`, opening it with `open` when none is up. */
export async function sharedListen(key: string, open: OpenListener, onNotify: (payload: string) => void, onLost: (err: unknown) => void): Promise<ListenConnection> {
  let shared = hubs.get(key);
  if (!shared) {
    const subscribers = new Set<Subscriber>();
    const mine: Shared = {
      subscribers,
      connection: open(
        (payload) => {
          for (const s of subscribers) s.onNotify(payload);
        },
        (err) => {
          if (hubs.get(key) === mine) hubs.delete(key);
          for (const s of [...subscribers]) s.onLost(err);
          subscribers.clear();
        },
      ),
    };
    shared = mine;
    hubs.set(key, mine);
    mine.connection.catch(() => {
      if (hubs.get(key) === mine) hubs.delete(key);
    });
  }
  const me: Subscriber = { onNotify, onLost };
  shared.subscribers.add(me);
  const current = shared;
  try {
    await current.connection;
  } catch (err) {
    current.subscribers.delete(me);
    throw err;
  }
  return {
    close: async () => {
      if (!current.subscribers.delete(me) || current.subscribers.size > 0) return;
      if (hubs.get(key) === current) hubs.delete(key);
      await (await current.connection).close();
    },
  };
}

/** How many LISTEN connections this process holds, for status and metrics. */
export function listenConnections(): number {
  return hubs.size;
}
