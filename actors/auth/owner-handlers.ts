import { z } from 'zod';
import { on, type Handlers } from '../../runtime/index.js';
import { normalizeIp } from './cidr.js';
import type { AuthDeps } from './deps.js';
import type { AuthLimiters } from './login-limiter.js';
import { normalizeEmail } from './users.js';

const email = z.object({ email: z.string().trim().email().max(320) });
const token = z.object({ token: z.string().min(1).max(512) });

/**
 * Owner accounts (owners.ts): managed with the admin token or an owner's session, signed in
 * to with an email and a password (the login limits of end users apply, per IP and per email).
 */
export function ownerHandlers(deps: AuthDeps, limits: AuthLimiters): Handlers {
  const { owners, clock, board } = deps;
  const audit = (event: string, payload: Record<string, unknown>) => board.system.events.emit(`security.${event}`, payload);
  return {
    'owner.create': on(email.extend({ password: z.string().min(1).max(1_024) }), (input) => owners.create(input.email, input.password, clock.now())),
    'owner.list': on(z.object({}).optional(), () => owners.list()),
    'owner.disable': on(email, (input) => owners.setDisabled(input.email, true, clock.now())),
    'owner.enable': on(email, (input) => owners.setDisabled(input.email, false, clock.now())),
    'owner.remove': on(email, (input) => owners.remove(input.email)),
    'owner.login': on(email.extend({ password: z.string().min(1).max(4_096), ip: z.string().max(64).default('') }), async (input) => {
      limits.loginPerIp.take(`login\n${normalizeIp(input.ip)}`);
      limits.loginPerEmail.take(`owner\n${normalizeEmail(input.email)}\n${normalizeIp(input.ip)}`);
      try {
        const session = await owners.login(input.email, input.password, clock.now(), board.configStore.current().auth.ownerSessionSeconds * 1000);
        audit('owner.login.succeeded', { email: session.email, ip: input.ip });
        return session;
      } catch (err) {
        audit('owner.login.failed', { ip: input.ip });
        throw err;
      }
    }),
    'owner.session': on(token, (input) => owners.session(input.token, clock.now())),
    'owner.logout': on(token, (input) => owners.logout(input.token)),
  };
}
