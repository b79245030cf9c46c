import type { CryptoKey, JWK } from 'jose';
import { jose } from './jose.js';
import type { DataClient } from '../ds/protocol.js';
import { ALG, verifiesUntil } from './policy.js';
import { SIGNING_KEYS } from './tables.js';
import type { Clock } from '../../runtime/index.js';

interface PublicKeyEntry {
  jwk: JWK;
  key: CryptoKey;
  /** Verifies until then (ms); Infinity while the key is active. */
  until: number;
}

/** An unknown `kid` reloads the ring at most this often, so forged kids cannot hammer the store. */
const UNKNOWN_KID_RELOAD_MS = 5_000;

/**
 * The public signing keys, held in memory so verifying a token never touches the store.
 * Marked stale by a rotation event (any node); reloaded on next use.
 */
export class PublicKeyRing {
  private keys = new Map<string, PublicKeyEntry>();
  private loading: Promise<void> | undefined;
  private stale = true;
  private loadedAt = -Infinity;

  constructor(
    private readonly store: DataClient,
    private readonly clock: Clock,
  ) {}

  markStale(): void {
    this.stale = true;
  }

  /** The verifying key for a kid, or undefined when there is none (or it has aged out). */
  async key(kid: string): Promise<CryptoKey | undefined> {
    await this.fresh();
    if (!this.keys.has(kid) && this.clock.now() - this.loadedAt > UNKNOWN_KID_RELOAD_MS) await this.reload();
    const entry = this.keys.get(kid);
    return entry && this.clock.now() < entry.until ? entry.key : undefined;
  }

  /** `{keys}` as served at /.well-known/jwks.json: every key that still verifies. */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.fresh();
    const now = this.clock.now();
    return { keys: [...this.keys.values()].filter((e) => now < e.until).map((e) => e.jwk) };
  }

  private async fresh(): Promise<void> {
    if (this.stale) await this.reload();
  }

  private reload(): Promise<void> {
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<void> {
    this.stale = false;
    const rows = await this.store.select({ table: SIGNING_KEYS, columns: ['kid', 'public_jwk', 'retired_at'] });
    const next = new Map<string, PublicKeyEntry>();
    for (const row of rows) {
      const jwk = JSON.parse(String(row.public_jwk)) as JWK;
      const key = await (await jose()).importJWK(jwk, ALG);
      if (key instanceof Uint8Array) continue;
      next.set(String(row.kid), { jwk, key, until: row.retired_at === null || row.retired_at === undefined ? Infinity : verifiesUntil(Number(row.retired_at)) });
    }
    this.keys = next;
    this.loadedAt = this.clock.now();
  }
}
