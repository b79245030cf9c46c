import { z } from 'zod';
import type { Row } from '../../adapters/types.js';
import { on, type Handlers } from '../../runtime/behavior.js';
import { MoboError } from '../../runtime/errors.js';
import { resourceName } from '../ds/names.js';
import { signAccessToken, type IssuedAccessToken } from './access-token.js';
import { normalizeIp } from './cidr.js';
import type { AuthDeps } from './deps.js';
import type { LoginLimiter } from './login-limiter.js';
import { burnPasswordCheck, verifyPassword } from './password.js';
import { rotateSigningKey } from './signing-keys.js';
import { RefreshReuse } from './refresh-tokens.js';
import { describeUser, normalizeEmail, type UserInfo } from './users.js';

export interface Session extends IssuedAccessToken {
  refresh_token: string;
  user: UserInfo;
}

/** The custom role a project may define for people who sign themselves up; otherwise they are viewers. */
export const SIGNUP_ROLE = 'authenticated';

const project = z.object({ project: resourceName });
const credentials = project.extend({ email: z.string().trim().email().max(320), password: z.string().min(1).max(4_096) });
const refreshInput = project.extend({ refreshToken: z.string().min(1).max(512) });

/** Signup, password login, refresh rotation, logout, token issuing for tests, signing key rotation. */
export function sessionHandlers(deps: AuthDeps, limiter: LoginLimiter): Handlers {
  const { users, refresh, clock, board } = deps;
  const issuer = (): string => board.configStore.current().auth.issuer;
  const audit = (event: string, payload: Record<string, unknown>) => board.system.events.emit(`security.${event}`, payload);

  const session = async (user: UserInfo, familyId?: string): Promise<Session> => {
    const now = clock.now();
    const access = await signAccessToken(await deps.signer(), { iss: issuer(), sub: user.id, project: user.project, role: user.role, kind: 'user' }, now);
    return { ...access, refresh_token: await refresh.issue(user.project, user.id, now, familyId), user };
  };

  const activeUser = (row: Row | undefined): UserInfo => {
    if (!row) throw new MoboError('AUTH_INVALID', 'The user no longer exists', { details: { reason: 'unknown_user' } });
    const user = describeUser(row);
    if (user.disabled) throw new MoboError('AUTH_USER_DISABLED');
    return user;
  };

  return {
    'auth.signup': on(credentials, async (input) => {
      await deps.requireProject(input.project);
      const role = (await deps.roles.get(input.project, SIGNUP_ROLE)) ? SIGNUP_ROLE : 'viewer';
      const user = await users.create(input.project, input.email, input.password, role, clock.now());
      audit('user.signup', { project: input.project, user: user.id });
      return session(user);
    }),
    'auth.login': on(credentials.extend({ ip: z.string().max(64).default('') }), async (input) => {
      limiter.take(`${input.project}\n${normalizeEmail(input.email)}\n${normalizeIp(input.ip)}`);
      const row = await users.byEmail(input.project, input.email);
      const matches = row ? await verifyPassword(input.password, String(row.password_hash)) : (await burnPasswordCheck(input.password), false);
      if (!matches) {
        audit('login.failed', { project: input.project, ip: input.ip });
        throw new MoboError('AUTH_BAD_PASSWORD');
      }
      const user = activeUser(row);
      audit('login.succeeded', { project: input.project, user: user.id, ip: input.ip });
      return session(user);
    }),
    'auth.refresh': on(refreshInput, async (input) => {
      try {
        const { userId, familyId } = await refresh.redeem(input.project, input.refreshToken, clock.now());
        return await session(activeUser(await users.byId(input.project, userId)), familyId);
      } catch (err) {
        if (err instanceof RefreshReuse) audit('refresh.reused', { project: input.project, user: err.userId, family: err.familyId });
        throw err;
      }
    }),
    'auth.logout': on(refreshInput, async (input) => {
      await refresh.revoke(input.project, input.refreshToken, clock.now());
      return { loggedOut: true };
    }),
    'auth.signing.rotate': on(z.null().optional(), async () => {
      const rotated = await rotateSigningKey(deps.store, deps.box, clock.now());
      deps.announce('signing');
      return rotated;
    }),
    'token.issue': on(
      project.extend({ role: z.string().min(1).max(63), sub: z.string().min(1).max(200).default('operator'), ttlSeconds: z.number().int().min(1).max(86_400).optional() }),
      async (input) => {
        await deps.requireProject(input.project);
        await deps.roles.assertExists(input.project, input.role);
        return signAccessToken(await deps.signer(), { iss: issuer(), sub: input.sub, project: input.project, role: input.role, kind: 'user' }, clock.now(), input.ttlSeconds);
      },
    ),
  };
}
