import { sha256Hex } from './crypto.js';
import { SharedBuckets } from '../../cluster/index.js';
import { type Clock, type EventBus, MoboError } from '../../runtime/index.js';

export interface LimiterOptions {
  /** Attempts allowed at once. */
  burst: number;
  /** One attempt comes back every `refillMs`. */
  refillMs: number;
  /** Keys held at most (least recently used dropped first), so a flood of addresses cannot exhaust memory. */
  maxKeys: number;
  /** The bus topic where nodes share what they spent: one per kind of limit. */
  topic?: string;
  /** What the refusal says is limited. */
  what?: string;
}

export const LOGIN_LIMITS: LimiterOptions = { burst: 5, refillMs: 12_000, maxKeys: 50_000 };

/** Not under `security.*`: those are the audit events, kept and replayed. */
const USAGE_TOPIC = 'api.login.usage';

export interface AuthLimits {
  loginPerEmail: { burst: number; refillMs: number };
  loginPerIp: { burst: number; refillMs: number };
  signupPerIp: { burst: number; refillMs: number };
  signupPerEmail: { burst: number; refillMs: number };
}

/** The limiters of password attempts and signups (`auth.limits` in config), each shared across the cluster. */
export interface AuthLimiters {
  /** Per project + email + IP: guessing one account's password. */
  loginPerEmail: LoginLimiter;
  /** Per IP over every project and email: one address trying many accounts. */
  loginPerIp: LoginLimiter;
  signupPerIp: LoginLimiter;
  /** Per project + email, whatever the address. */
  signupPerEmail: LoginLimiter;
  close(): void;
}

export function authLimiters(limits: AuthLimits, clock: Clock, events: EventBus, nodeId: string): AuthLimiters {
  const make = (kind: keyof AuthLimits, what: string, topic = `api.auth.${kind}.usage`) => new LoginLimiter(clock, events, nodeId, { ...limits[kind], maxKeys: 50_000, topic, what });
  const all = {
    loginPerEmail: make('loginPerEmail', 'sign-in attempts', USAGE_TOPIC),
    loginPerIp: make('loginPerIp', 'sign-in attempts from this address'),
    signupPerIp: make('signupPerIp', 'signups from this address'),
    signupPerEmail: make('signupPerEmail', 'signups for this email'),
  };
  return { ...all, close: () => Object.values(all).forEach((l) => l.close()) };
}

/**
 * A token bucket per (project, email, IP) for password attempts: five at once, then one
 * every 12 s, shared across the cluster (cluster/shared-buckets.ts), so more nodes do not
 * mean more guesses. Keys are hashed before they are held or shared: no email or address
 * travels on the bus.
 */
export class LoginLimiter {
  private readonly buckets: SharedBuckets;
  private readonly what: string;

  constructor(clock: Clock, events: EventBus, nodeId: string, opts: LimiterOptions = LOGIN_LIMITS) {
    const limit = { rps: 1_000 / opts.refillMs, burst: opts.burst };
    this.what = opts.what ?? 'sign-in attempts';
    this.buckets = new SharedBuckets({ topic: opts.topic ?? USAGE_TOPIC, events, nodeId, clock, maxKeys: opts.maxKeys, limitOf: () => limit });
  }

  /** Spends one attempt, or throws RATE_LIMITED with when to retry. */
  take(key: string): void {
    const retryAfterSeconds = this.buckets.take(sha256Hex(key));
    if (retryAfterSeconds > 0) throw new MoboError('RATE_LIMITED', `Too many ${this.what}; retry later`, { details: { retryAfterSeconds } });
  }

  close(): void {
    this.buckets.close();
  }
}
