import type { SentinelConfig } from './config.js';
import { targetId, type TargetKind } from './blocks.js';
import type { Clock } from '../../runtime/index.js';

/** One failure, as every node hears it on the bus: no password, no plain email (hashed). */
export interface Failure {
  /** `login`: a wrong password; `key`: a credential refused (401, or 403 for a key reaching past its grant); `probe`: a request SQLGuard refused. */
  kind: 'login' | 'key' | 'probe';
  ip: string;
  emailHash?: string | undefined;
  keyId?: string | undefined;
  node: string;
}

/** A block the counters call for. */
export interface Verdict {
  kind: TargetKind;
  value: string;
  reason: string;
  durationMs: number;
  strikes: number;
}

interface Window {
  count: number;
  start: number;
}

interface Accounts {
  emails: Set<string>;
  start: number;
}

const MAX_KEYS = 50_000;

function bounded<V>(map: Map<string, V>, key: string, value: V): V {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_KEYS) map.delete(map.keys().next().value!);
  return value;
}

/**
 * Counts failed logins per IP, per email and per API key, and refused probes per IP, in
 * fixed windows; distinct accounts failing from one IP (credential stuffing). Every node
 * counts every failure of the cluster (they arrive over the bus), so all agree. Repeat offenders are
 * blocked longer: `blockMs × backoff^strikes`, up to `maxBlockMs`.
 */
export class BruteForce {
  private readonly windows = new Map<string, Window>();
  private readonly accounts = new Map<string, Accounts>();
  private readonly strikes = new Map<string, { strikes: number; last: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly config: () => SentinelConfig,
  ) {}

  /** Counts one failure; returns the blocks it calls for. */
  record(f: Failure): Verdict[] {
    const { bruteForce: bf, sqlguard } = this.config();
    const out: Verdict[] = [];
    const count = (kind: TargetKind, value: string, limit: { failures: number; windowMs: number }, reason: string) => {
      const id = `${f.kind}/${targetId(kind, value)}`;
      const now = this.clock.now();
      let w = this.windows.get(id);
      if (!w || now - w.start >= limit.windowMs) w = { count: 0, start: now };
      w.count++;
      bounded(this.windows, id, w);
      if (w.count >= limit.failures) {
        this.windows.delete(id);
        out.push(this.verdict(kind, value, reason));
      }
    };
    if (f.kind === 'probe') count('ip', f.ip, sqlguard.probesPerIp, 'requests refused for SQL injection');
    if (f.kind === 'login') {
      count('ip', f.ip, bf.perIp, 'failed logins from this address');
      if (f.emailHash) {
        count('email', f.emailHash, bf.perEmail, 'failed logins for this account');
        const now = this.clock.now();
        let a = this.accounts.get(f.ip);
        if (!a || now - a.start >= bf.perIp.windowMs) a = { emails: new Set(), start: now };
        a.emails.add(f.emailHash);
        bounded(this.accounts, f.ip, a);
        if (a.emails.size >= bf.accountsPerIp) {
          this.accounts.delete(f.ip);
          out.push(this.verdict('ip', f.ip, `failed logins for ${a.emails.size} accounts from this address`));
        }
      }
    }
    if (f.kind === 'key') {
      count('ip', f.ip, bf.perIp, 'refused API keys from this address');
      if (f.keyId) count('key', f.keyId, bf.perKey, 'refused uses of this API key');
    }
    // Two counters may call for the same target at once: one block, the first reason.
    return out.filter((v, i) => out.findIndex((o) => o.kind === v.kind && o.value === v.value) === i);
  }

  private verdict(kind: TargetKind, value: string, reason: string): Verdict {
    const { bruteForce: bf } = this.config();
    const now = this.clock.now();
    const id = targetId(kind, value);
    const prior = this.strikes.get(id);
    const strikes = prior && now - prior.last < bf.strikeMemoryMs ? prior.strikes : 0;
    bounded(this.strikes, id, { strikes: strikes + 1, last: now });
    return { kind, value, reason, strikes: strikes + 1, durationMs: Math.min(bf.maxBlockMs, bf.blockMs * bf.backoff ** strikes) };
  }
}
