/**
 * Polls a condition until it holds, for state that has no event to await (for example
 * a process we spawned). Fails with the message once the deadline passes; never a fixed sleep.
 */
export async function waitFor<T>(check: () => T | Promise<T>, message: string, deadlineMs = 10_000): Promise<NonNullable<T>> {
  const until = Date.now() + deadlineMs;
  let delay = 5;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > until) throw new Error(`waitFor timed out: ${message}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(100, delay * 2);
  }
}

/** A promise with its resolve exposed, to await a callback. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
