/**
 * Waits for a condition (polled, as nothing here can push it: a port, a row, a process), never
 * for a fixed time. Rejects after `deadlineMs`, or at once when `alive` says what it waits on died.
 */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, deadlineMs = 30_000, alive: () => boolean = () => true, everyMs = 100): Promise<void> {
  const end = performance.now() + deadlineMs;
  for (;;) {
    if (await check()) return;
    if (!alive()) throw new Error(`gave up waiting for ${what}: it exited`);
    if (performance.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
