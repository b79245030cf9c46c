import { describe, expect, it } from 'vitest';
import { InFlight } from '../../adapters/in-flight.js';

/** A task that finishes when the test says so. */
function gatedTask(running: { now: number; most: number }) {
  let finish!: (fail?: Error) => void;
  const done = new Promise<void>((resolve, reject) => (finish = (fail) => (fail ? reject(fail) : resolve())));
  let began!: () => void;
  const started = new Promise<void>((resolve) => (began = resolve));
  const task = async () => {
    began();
    running.now++;
    running.most = Math.max(running.most, running.now);
    try {
      await done;
    } finally {
      running.now--;
    }
  };
  return { task, finish, started };
}

describe('InFlight: bounded concurrent tasks', () => {
  it('runs at most `limit` tasks at once and drains them all', async () => {
    const running = { now: 0, most: 0 };
    const inFlight = new InFlight(3);
    const tasks = Array.from({ length: 7 }, () => gatedTask(running));
    const adding = (async () => {
      for (const { task } of tasks) await inFlight.add(task);
    })();
    await tasks[2]!.started;
    expect(running.now).toBe(3);
    for (const { finish } of tasks) finish();
    await adding;
    await inFlight.drain();
    expect(running).toEqual({ now: 0, most: 3 });
  });

  it('throws the first failure once every started task has settled, and starts no more', async () => {
    const running = { now: 0, most: 0 };
    const inFlight = new InFlight(2);
    const [a, b] = [gatedTask(running), gatedTask(running)];
    await inFlight.add(a.task);
    await inFlight.add(b.task);
    let third = false;
    const adding = inFlight.add(async () => void (third = true));
    a.finish(new Error('batch failed'));
    const outcome = adding.then(
      () => 'added',
      (err: Error) => err.message,
    );
    b.finish();
    expect(await outcome).toBe('batch failed');
    expect(running.now).toBe(0);
    expect(third).toBe(false);
    await expect(inFlight.drain()).rejects.toThrow('batch failed');
  });
});
