import type { Behavior } from '../runtime/behavior.js';

/** The actor every kernel bench talks to: `inc` counts (for tells), `get` answers the count, anything else echoes its payload. */
export function benchBehavior(): Behavior {
  let count = 0;
  return {
    receive(msg) {
      if (msg.type === 'inc') {
        count++;
        return undefined;
      }
      return msg.type === 'get' ? count : msg.payload;
    },
  };
}

/** Sends `total` messages in batches, yielding to the microtask queue between batches (as a producer on the event loop would). */
export async function inBatches(total: number, batch: number, send: (i: number) => void): Promise<void> {
  for (let i = 0; i < total; ) {
    const end = Math.min(total, i + batch);
    for (; i < end; i++) send(i);
    await null;
  }
}
