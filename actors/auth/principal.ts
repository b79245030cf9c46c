import type { Filter, Row } from '../../adapters/index.js';

export type Operation = 'read' | 'create' | 'update' | 'delete';

export const BUILT_IN_ROLES = ['owner', 'admin', 'developer', 'viewer', 'authenticated', 'anon'] as const;
/** The end users' roles: every signed-up user, and the public client key. No table is theirs without a policy. */
export const END_USER_ROLES = ['authenticated', 'anon'] as const;

export interface Principal {
  kind: 'user' | 'api_key' | 'service_account';
  /** User id, API key id or service account id. */
  subject: string;
  /** The one project this credential belongs to: nothing of any other project is reachable with it. */
  project: string;
  /** A built-in role or a custom role of the project. */
  role: string;
  /** The API key used (for an API key or a service account authenticating with one): per-key rate limits and audit. */
  keyId?: string;
  /** A user JWT's expiry (ms since the epoch): what it authorizes ends then, open realtime subscriptions included. */
  expiresAt?: number;
  /** Limits an API key carries on top of its role. */
  scopes?: { tables?: string[]; operations?: Operation[]; cidrs?: string[]; topics?: { publish?: string[]; subscribe?: string[] } };
}

export interface AccessRequest {
  project: string;
  source: string;
  table: string;
  operation: Operation;
}

/** What a principal may do with one table: refused outright, or allowed within a row rule. */
export interface AccessGrant {
  /** ANDed into every read, update and delete (the table's row rule for this principal). */
  rowFilter?: Filter;
  /** Set on every inserted row and on every update's patch, overriding the body (e.g. owner_id = subject). */
  forcedValues?: Row;
}

/** What MagGate, MagWS and MagMQTT call per request; implemented in-process by MagAuth with caches. */
export interface Gatekeeper {
  /**
   * Reads credentials from request headers (`authorization: Bearer <jwt>`, `apikey: <jwt | ak_…>`,
   * or `authorization: Bearer ak_…`) for the project addressed. Throws AUTH_REQUIRED when
   * there are none, AUTH_INVALID/AUTH_TOKEN_EXPIRED when they are bad, AUTH_FORBIDDEN when
   * they belong to another project or the IP is outside the key's ranges.
   */
  authenticate(headers: Record<string, string>, project: string, ip: string): Promise<Principal>;
  /**
   * May this principal do this operation on this table, and within which row rule? Throws
   * AUTH_FORBIDDEN when neither its role nor a policy allows it, or the key's scopes do not.
   * The one question every edge asks (REST, realtime database channels, OpenAPI, MQTT topics).
   */
  authorize(principal: Principal, request: AccessRequest): Promise<AccessGrant>;
}
