/**
 * jose, loaded on first use: importing it costs ~50 ms, a sixth of a node's boot, and no
 * token is signed or checked before the node is up. `warmJose` loads it just after boot.
 */
type Jose = typeof import('jose');

let loading: Promise<Jose> | undefined;

export function jose(): Promise<Jose> {
  loading ??= import('jose');
  return loading;
}

/** Starts loading jose once the node is up, so the first request does not wait for it. */
export function warmJose(): void {
  setTimeout(() => void jose(), 100).unref();
}
