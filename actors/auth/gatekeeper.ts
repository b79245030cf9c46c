import type { JWK } from 'jose';
import { MoboError, ServiceKey, topics } from '../../runtime/index.js';
import type { Board } from '../board.js';
import { controlStore } from '../kernel/store-slot.js';
import { verifyAccessToken } from './access-token.js';
import { ApiKeys, keyPrefixOf, type ApiKeyInfo } from './api-keys.js';
import { readCredential } from './credentials.js';
import { sha256Hex } from './crypto.js';
import { onAuthChange, type AuthChange } from './invalidation.js';
import { PublicKeyRing } from './key-ring.js';
import { LoadingCache } from './loading-cache.js';
import { Policies, combineGrants, policyGrant, type Policy } from './policies.js';
import type { AccessGrant, AccessRequest, Gatekeeper, Principal } from './principal.js';
import { Roles, builtInAllows, customRoleAllows, isBuiltInRole, type CustomRole } from './roles.js';
import { RowRules, grantFor, type RowRule } from './row-rules.js';
import { checkAddress, checkScopes } from './scopes.js';
import { ServiceAccounts } from './service-accounts.js';
import { Users } from './users.js';

/** MagAuth's Gatekeeper, plus what the HTTP edge serves from it. */
export interface AuthGatekeeper extends Gatekeeper {
  /** The public signing keys, as served at /.well-known/jwks.json. */
  jwks(): Promise<{ keys: JWK[] }>;
  /** Forgets everything cached: MagAuth does this when it (re)starts, so a restart begins clean. */
  forget(): void;
  /**
   * The principal as it stands now, from what a live session remembers of it (realtime
   * subscriptions keep it): throws when its key was revoked, its user or service account
   * disabled, or its key or account is gone; carries the user's or key's current role.
   */
  recheck(principal: Principal): Promise<Principal>;
  /** Called after this node's caches dropped a change (on every node, for every change): live sessions re-check here. */
  onChange(listener: (change: AuthChange, project?: string) => void): () => void;
  /** Stops listening for invalidations (the system's shutdown does this). */
  close(): void;
}

interface UserState {
  disabled: boolean;
  role: string;
}

export interface GatekeeperOptions {
  /** Verified tokens and API key lookups held at most (each). Default 10,000. */
  maxEntries?: number;
  /** How long a key, role, rule or user status is trusted without an invalidation. Default 30 s. */
  ttlMs?: number;
}

const forbiddenProject = () => new MoboError('AUTH_FORBIDDEN', 'The credentials belong to another project');
const NO_POLICIES: readonly Policy[] = Object.freeze([]);

/**
 * Authenticates and authorizes per request, in-process and without a store round trip on
 * the hot path: verified JWTs are cached by their SHA-256 until they expire, API key
 * lookups, custom roles, row rules and user states for `ttlMs`. Any change made through
 * the auth actor clears the affected cache on every node (see invalidation.ts).
 */
export function createGatekeeper(board: Board, opts: GatekeeperOptions = {}): AuthGatekeeper {
  const store = controlStore(board);
  const clock = board.system.clock;
  const max = opts.maxEntries ?? 10_000;
  const ttl = opts.ttlMs ?? 30_000;
  const ring = new PublicKeyRing(store, clock);
  const [apiKeys, users, roles, rules, accounts, policyStore] = [new ApiKeys(store), new Users(store), new Roles(store), new RowRules(store), new ServiceAccounts(store), new Policies(store)];

  const tokens = new LoadingCache<Principal>(max, ttl, clock);
  const keys = new LoadingCache<Principal>(max, ttl, clock);
  const userStates = new LoadingCache<UserState>(max, ttl, clock);
  const customRoles = new LoadingCache<CustomRole>(1_000, ttl, clock);
  const rowRules = new LoadingCache<RowRule>(1_000, ttl, clock);
  const policies = new LoadingCache<Policy[]>(1_000, ttl, clock);
  const listeners = new Set<(change: AuthChange, project?: string) => void>();

  const invalidate = (change: AuthChange, project?: string): void => {
    const clears: Record<AuthChange, () => void> = {
      keys: () => keys.clear(),
      service_accounts: () => keys.clear(),
      users: () => (tokens.clear(), userStates.clear()),
      roles: () => customRoles.clear(),
      rules: () => rowRules.clear(),
      policies: () => policies.clear(),
      signing: () => ring.markStale(),
    };
    clears[change]?.();
    for (const listener of listeners) listener(change, project);
  };
  const offChanges = onAuthChange(board, { invalidate });
  // A restore (or its rollback) rewrites the control store under these caches: forget all of it.
  const ALL: AuthChange[] = ['keys', 'users', 'roles', 'rules', 'policies', 'service_accounts', 'signing'];
  const offRestore = board.system.events.on<{ kind?: string }>(topics.job.ofKind('backup'), (event) => {
    if (event.payload.kind === 'restore' && !event.topic.endsWith('.progress')) ALL.forEach((change) => invalidate(change));
  });
  const off = (): void => {
    offChanges();
    offRestore();
  };

  const fromToken = async (token: string, project: string): Promise<Principal> => {
    const cacheKey = sha256Hex(token);
    const cached = tokens.peek(cacheKey);
    if (cached) {
      if (cached.project !== project) throw forbiddenProject();
      return cached;
    }
    const now = clock.now();
    const { issuer, maxTokenLifetimeSeconds } = board.configStore.current().auth;
    const { principal, expiresAt } = await verifyAccessToken(token, ring, project, now, issuer, maxTokenLifetimeSeconds);
    const frozen = Object.freeze(await currentUser(principal));
    tokens.set(cacheKey, frozen, expiresAt - now);
    return frozen;
  };

  /** A user's token carries the role it was signed with; the user's role now is what counts (and a disabled user is refused). */
  const currentUser = async (principal: Principal): Promise<Principal> => {
    if (principal.kind !== 'user') return principal;
    const state = await userStates.get(`${principal.project}/${principal.subject}`, async () => {
      const row = await users.byId(principal.project, principal.subject);
      return row ? { disabled: row.disabled_at != null, role: String(row.role) } : undefined;
    });
    if (state?.disabled) throw new MoboError('AUTH_USER_DISABLED');
    return state && state.role !== principal.role ? { ...principal, role: state.role } : principal;
  };

  const loadKey = async (project: string, presented: string): Promise<Principal | undefined> => {
    const info = await apiKeys.verify(project, presented);
    return info ? toPrincipal(project, info) : undefined;
  };

  const toPrincipal = async (project: string, info: ApiKeyInfo): Promise<Principal | undefined> => {
    // Frozen all the way down: the principal is shared by every request that presents this key.
    const scopes = Object.keys(info.scopes).length > 0 ? Object.freeze(Object.fromEntries(Object.entries(info.scopes).map(([k, v]) => [k, Object.freeze(v)]))) : undefined;
    const base = { project, keyId: info.id, ...(scopes ? { scopes } : {}) };
    if (info.service_account === null) return Object.freeze({ ...base, kind: 'api_key', subject: info.id, role: info.role });
    const account = await accounts.get(project, info.service_account);
    if (!account || account.disabled) return undefined;
    return Object.freeze({ ...base, kind: 'service_account', subject: account.id, role: account.role });
  };

  const keyById = async (project: string, id: string): Promise<Principal | undefined> => {
    const info = await apiKeys.byId(project, id);
    return info ? toPrincipal(project, info) : undefined;
  };

  const fromKey = async (presented: string, project: string, ip: string): Promise<Principal> => {
    if (!presented.startsWith(keyPrefixOf(project))) throw forbiddenProject();
    const principal = await keys.get(`${project}/${sha256Hex(presented)}`, () => loadKey(project, presented));
    if (!principal) throw new MoboError('AUTH_INVALID', 'The API key is invalid or revoked', { details: { reason: 'unknown_key' } });
    checkAddress(principal.scopes, ip);
    return principal;
  };

  const roleAllows = async (principal: Principal, request: AccessRequest): Promise<boolean> => {
    if (isBuiltInRole(principal.role)) return builtInAllows(principal.role, request.operation);
    const role = await customRoles.get(`${principal.project}/${principal.role}`, () => roles.get(principal.project, principal.role));
    return role !== undefined && customRoleAllows(role, request);
  };

  const forbidden = (principal: Principal, request: AccessRequest) =>
    new MoboError('AUTH_FORBIDDEN', `Role "${principal.role}" may not ${request.operation} ${request.table}: no grant of the role, and no policy opens it`, {
      details: { role: principal.role, operation: request.operation, table: request.table },
    });

  return {
    async authenticate(headers, project, ip) {
      const credential = readCredential(headers);
      return credential.kind === 'jwt' ? fromToken(credential.token, project) : fromKey(credential.key, project, ip);
    },
    async authorize(principal, request): Promise<AccessGrant> {
      if (principal.project !== request.project) throw forbiddenProject();
      const { project, source, table } = request;
      let byPolicy: AccessGrant | undefined;
      if (!(await roleAllows(principal, request))) {
        const list = (await policies.get(project, () => policyStore.list(project))) ?? NO_POLICIES;
        byPolicy = policyGrant(list, principal, request);
        if (!byPolicy) throw forbidden(principal, request);
      }
      checkScopes(principal.scopes, request);
      const rule = await rowRules.get(`${project}/${source}/${table}`, () => rules.get(project, source, table));
      const grant = grantFor(rule, principal, request.operation);
      return byPolicy ? combineGrants(byPolicy, grant) : grant;
    },
    async recheck(principal) {
      if (principal.keyId !== undefined) {
        const current = await keys.get(`id/${principal.project}/${principal.keyId}`, () => keyById(principal.project, principal.keyId!));
        if (!current) throw new MoboError('AUTH_INVALID', 'The API key is revoked, or its service account disabled', { details: { reason: 'revoked' } });
        return current;
      }
      return currentUser(principal);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    jwks: () => ring.jwks(),
    forget: () => ALL.forEach((change) => invalidate(change)),
    close: off,
  };
}

const GATEKEEPER = new ServiceKey<AuthGatekeeper>('auth.gatekeeper');

/**
 * The node's one Gatekeeper, a service its actor system owns (made on first use, closed at
 * shutdown): what MagGate, MagWS and MagMQTT call per request.
 */
export function gatekeeperFor(board: Board): AuthGatekeeper {
  return board.system.services.shared(GATEKEEPER, () => createGatekeeper(board));
}
