/**
 * pusher-js clients spread over several processes (pusher-fleet-worker.ts), so a change's
 * thousand receipts are not parsed one after another by one event loop: what the latency
 * benchmarks measure is the server's delivery, not the measuring process. `delivered(id)`
 * resolves once every client has the change with that row id.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClientTarget } from './pusher-clients.js';
import type { FromFleetWorker, ToFleetWorker } from './pusher-fleet-worker.js';

const WORKER = fileURLToPath(new URL('./pusher-fleet-worker.js', import.meta.url));

export interface PusherFleet {
  delivered(id: number, timeoutMs: number): Promise<void>;
  /** Every receipt's latency (ms) since the last call. */
  collect(): Promise<number[]>;
  stop(): Promise<void>;
}

export async function startPusherFleet(targets: readonly ClientTarget[], channel: string, processes: number): Promise<PusherFleet> {
  const workers: ChildProcess[] = [];
  const got = new Map<number, number>();
  const waiters = new Map<number, () => void>();
  const listen = (w: ChildProcess, type: FromFleetWorker['type']): Promise<FromFleetWorker> =>
    new Promise((resolve, reject) => {
      const on = (m: FromFleetWorker): void => {
        if (m.type === 'failed') reject(new Error(m.message));
        if (m.type !== type) return;
        w.off('message', on);
        resolve(m);
      };
      w.on('message', on);
      w.once('exit', (code) => reject(new Error(`a fleet process exited (${code})`)));
    });
  const stop = async (): Promise<void> => {
    await Promise.all(workers.map((w) => (w.exitCode === null ? new Promise((r) => (w.once('exit', r), w.send({ type: 'stop' } satisfies ToFleetWorker))) : undefined)));
  };
  try {
    const share = Math.ceil(targets.length / processes);
    for (let i = 0; i < targets.length; i += share) {
      const w = fork(WORKER, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      workers.push(w);
      w.on('message', (m: FromFleetWorker) => {
        if (m.type !== 'got') return;
        const n = (got.get(m.id) ?? 0) + 1;
        got.set(m.id, n);
        if (n === workers.length) waiters.get(m.id)?.();
      });
      const ready = listen(w, 'ready');
      w.send({ type: 'start', targets: targets.slice(i, i + share), channel } satisfies ToFleetWorker);
      await ready;
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    delivered: (id, timeoutMs) =>
      (got.get(id) ?? 0) === workers.length
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`change ${id} did not reach every client within ${timeoutMs} ms`)), timeoutMs);
            waiters.set(id, () => {
              clearTimeout(timer);
              waiters.delete(id);
              resolve();
            });
          }),
    collect: async () => (await Promise.all(workers.map(async (w) => { const answer = listen(w, 'samples'); w.send({ type: 'collect' } satisfies ToFleetWorker); return ((await answer) as { samples: number[] }).samples; }))).flat(),
    stop,
  };
}
