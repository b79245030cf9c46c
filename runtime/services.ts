/** A named, typed slot in the service directory: `new ServiceKey<Gatekeeper>('auth.gatekeeper')`. */
export class ServiceKey<T> {
  declare readonly type: T;
  constructor(readonly name: string) {}
}

/** A service with a `close()` has it called when the system shuts down. */
interface Closable {
  close(): void | Promise<void>;
}

function closable(service: unknown): service is Closable {
  return typeof (service as Partial<Closable> | null)?.close === 'function';
}

/**
 * The node's shared in-process services (MagAuth's gatekeeper, say), owned by the actor
 * system instead of hidden in module-level maps keyed by the board: listed by name, made on
 * first use, and closed when the system shuts down, so a new system (a restarted node)
 * begins clean. A service that caches a component's data is cleared by that component when
 * it restarts (MagAuth clears the gatekeeper), so a component restart begins clean too.
 */
export class ServiceDirectory {
  private readonly services = new Map<string, unknown>();

  /** The one instance under `key`, made by `make` on first use. */
  shared<T>(key: ServiceKey<T>, make: () => T): T {
    if (this.services.has(key.name)) return this.services.get(key.name) as T;
    const service = make();
    this.services.set(key.name, service);
    return service;
  }

  names(): string[] {
    return [...this.services.keys()];
  }

  async closeAll(): Promise<void> {
    const all = [...this.services.values()];
    this.services.clear();
    await Promise.allSettled(all.filter(closable).map(async (s) => s.close()));
  }
}
