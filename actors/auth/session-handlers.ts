import { z } from 'zod';
import { resourceName } from '../ds/names.js';
import { signAccessToken, type IssuedAccessToken } from './access-token.js';
import { normalizeIp } from './cidr.js';
import type { AuthDeps } from './deps.js';
import type { AuthLimiters } from './login-limiter.js';
import { burnPasswordCheck, checkPasswordStrength, hashPassword, verifyPassword } from './password.js';
import { rotateSigningKey } from './signing-keys.js';
import { RefreshReuse } from './refresh-tokens.js';
import { describeUser, normalizeEmail, type UserInfo } from './users.js';
import type { Row } from '../../adapters/index.js';
import { type Handlers, MoboError, on } from '../../runtime/index.js';

export interface Session extends IssuedAccessToken {
  refresh_token: string;
  user: UserInfo;
}

/** The role of people who sign themselves up (built in, no grants: policies open tables to it). */
export const SIGNUP_ROLE = 'authenticated';

/**
 * Signup's one answer, whether the email was new or taken: nothing in it (nor its timing,
 * nor its status) tells which. The new user signs in next.
 */
export interface SignupAnswer {
  email: string;
  signedUp: true;
  next: 'login';
}

const project = z.object({ project: resourceName });
const credentials = project.extend({ email: z.string().trim().email().max(320), password: z.string().min(1).max(4_096) });
const refreshInput = project.extend({ refreshToken: z.string().min(1).max(512) });

/** Signup, password login, refresh rotation, logout, token issuing for tests, signing key rotation. */
export function sessionHandlers(deps: AuthDeps, limits: AuthLimiters): Handlers {
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
    'auth.signup': on(credentials.extend({ ip: z.string().max(64).default('') }), async (input): Promise<SignupAnswer> => {
      await deps.requireProject(input.project);
      const mode = await deps.settings.signup(input.project);
      if (mode === 'closed') throw new MoboError('AUTH_SIGNUP_CLOSED', `Signup is closed on project "${input.project}"; its owner opens it with mobo auth:signup ${input.project} open`, { details: { project: input.project, signup: mode, allowed: ['open', 'invite'] } });
      limits.signupPerIp.take(`signup\n${normalizeIp(input.ip)}`);
      limits.signupPerEmail.take(`signup\n${input.project}\n${normalizeEmail(input.email)}`);
      checkPasswordStrength(input.password);
      const role = mode === 'invite' ? await deps.settings.invitedRole(input.project, input.email) : SIGNUP_ROLE;
      if (role === undefined) throw new MoboError('AUTH_SIGNUP_CLOSED', `Signup on project "${input.project}" is by invitation, and this email is not invited`, { details: { project: input.project, signup: mode } });
      const answer: SignupAnswer = { email: normalizeEmail(input.email), signedUp: true, next: 'login' };
      if (await users.byEmail(input.project, input.email)) {
        // Taken: spend the hash a new user costs, create nothing, answer the same.
        await hashPassword(input.password);
        return answer;
      }
      try {
        const user = await users.create(input.project, input.email, input.password, role, clock.now());
        audit('user.signup', { project: input.project, user: user.id });
      } catch (err) {
        if (!(err instanceof MoboError && err.code === 'AUTH_USER_EXISTS')) throw err;
      }
      return answer;
    }),
    'auth.login': on(credentials.extend({ ip: z.string().max(64).default('') }), async (input) => {
      limits.loginPerIp.take(`login\n${normalizeIp(input.ip)}`);
      limits.loginPerEmail.take(`${input.project}\n${normalizeEmail(input.email)}\n${normalizeIp(input.ip)}`);
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
