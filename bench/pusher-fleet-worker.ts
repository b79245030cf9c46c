/**
 * One process of the pusher-js fleet (pusher-fleet.ts): subscribes its share of the clients,
 * stamps every change's receipt against the change's send time (`row.t`, epoch ms with
 * sub-millisecond part: the same clock in every process of the machine), says when each of its
 * clients has a change, and hands the samples back when asked.
 */
import { subscribeClients, type ClientTarget, type PusherClient } from './pusher-clients.js';

export type ToFleetWorker = { type: 'start'; targets: ClientTarget[]; channel: string } | { type: 'collect' } | { type: 'stop' };
export type FromFleetWorker = { type: 'ready' } | { type: 'failed'; message: string } | { type: 'got'; id: number } | { type: 'samples'; samples: number[] };

const send = (m: FromFleetWorker): void => void process.send!(m);
let clients: PusherClient[] = [];
let samples: number[] = [];
const received = new Map<number, number>();

process.on('message', (m: ToFleetWorker) => {
  if (m.type === 'start') {
    subscribeClients<{ row?: { id?: number; t?: number } }>(m.targets, m.channel, (data) => {
      const { id, t } = data?.row ?? {};
      if (typeof id !== 'number' || typeof t !== 'number') return;
      samples.push(performance.timeOrigin + performance.now() - t);
      const n = (received.get(id) ?? 0) + 1;
      received.set(id, n);
      if (n === m.targets.length) {
        received.delete(id);
        send({ type: 'got', id });
      }
    }).then(
      (subscribed) => {
        clients = subscribed;
        send({ type: 'ready' });
      },
      (err: unknown) => send({ type: 'failed', message: String(err) }),
    );
  } else if (m.type === 'collect') {
    send({ type: 'samples', samples });
    samples = [];
  } else {
    for (const c of clients) c.disconnect();
    process.exit(0);
  }
});
