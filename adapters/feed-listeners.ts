/**
 * The listeners of a change feed that starts with its first subscriber and stops with its
 * last (the Postgres feeds: triggers, logical replication). A failed start is forgotten, so the
 * next subscriber tries again; a listener's own failure never reaches the feed.
 */
import type { ChangeEvent, ChangeFeed } from './types.js';

export class FeedListeners {
  private readonly listeners = new Set<(event: ChangeEvent) => void>();
  private starting: Promise<void> | undefined;

  constructor(
    private readonly start: () => Promise<void>,
    private readonly stop: () => Promise<void>,
  ) {}

  get size(): number {
    return this.listeners.size;
  }

  /** Whether the feed has been started (and not stopped since). */
  get started(): boolean {
    return this.starting !== undefined;
  }

  async subscribe(onChange: (event: ChangeEvent) => void): Promise<ChangeFeed> {
    const listener = (event: ChangeEvent): void => onChange(event);
    this.listeners.add(listener);
    try {
      this.starting ??= this.start().catch((err: unknown) => {
        this.starting = undefined;
        throw err;
      });
      await this.starting;
    } catch (err) {
      this.listeners.delete(listener);
      throw err;
    }
    return {
      close: async () => {
        this.listeners.delete(listener);
        if (this.listeners.size === 0) await this.stopped();
      },
    };
  }

  deliver(event: ChangeEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.stopped();
  }

  private async stopped(): Promise<void> {
    const starting = this.starting;
    this.starting = undefined;
    await starting?.catch(() => undefined);
    await this.stop();
  }
}
