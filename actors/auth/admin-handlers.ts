import { z } from 'zod';
import { type Handlers, implement, on } from '../../runtime/index.js';
import { resourceName } from '../ds/names.js';
import type { AuthDeps } from './deps.js';
import { policySchema } from './policies.js';
import { signupModeSchema } from './project-settings.js';
import { keyProtocol, roleName } from './protocol.js';
import { customRoleSchema } from './roles.js';
import { rowRuleSchema } from './row-rules.js';

const project = z.object({ project: resourceName });
const id = project.extend({ id: z.string().min(1).max(200) });

/**
 * The operator's side of MagAuth: API keys, users, custom roles, service accounts and
 * row rules of a project. Every change that a cache could hold is announced.
 */
export function adminHandlers(deps: AuthDeps): Handlers {
  const { apiKeys, users, roles, accounts, rules, policies, settings, clock } = deps;
  const changed = <T>(change: Parameters<AuthDeps['announce']>[0], projectName: string, value: T): T => {
    deps.announce(change, projectName);
    return value;
  };

  return {
    ...implement(keyProtocol, {
      'key.create': async (input) => {
        await deps.requireProject(input.project);
        const account = input.serviceAccount ? await accounts.require(input.project, input.serviceAccount) : undefined;
        const role = account?.role ?? input.role;
        await roles.assertExists(input.project, role);
        return apiKeys.create(input.project, { name: input.name, role, scopes: input.scopes, serviceAccount: account?.id }, clock.now());
      },
      'key.list': ({ project: p }) => apiKeys.list(p),
      'key.rotate': async (input) => changed('keys', input.project, await apiKeys.rotate(input.project, input.id, clock.now())),
      'key.revoke': async (input) => changed('keys', input.project, await apiKeys.revoke(input.project, input.id, clock.now())),
    }),

    'user.create': on(project.extend({ email: z.string().trim().email().max(320), password: z.string().min(1).max(1_024), role: roleName.default('authenticated') }), async (input) => {
      await deps.requireProject(input.project);
      await roles.assertExists(input.project, input.role);
      return users.create(input.project, input.email, input.password, input.role, clock.now());
    }),
    'user.list': on(project, ({ project: p }) => users.list(p)),
    'user.get': on(id, (input) => users.get(input.project, input.id)),
    'user.disable': on(id, async (input) => {
      const user = await users.setDisabled(input.project, input.id, true, clock.now());
      await deps.refresh.revokeUser(input.project, user.id, clock.now());
      return changed('users', input.project, user);
    }),
    'user.enable': on(id, async (input) => changed('users', input.project, await users.setDisabled(input.project, input.id, false, clock.now()))),
    'user.role': on(id.extend({ role: roleName }), async (input) => {
      await roles.assertExists(input.project, input.role);
      return changed('users', input.project, await users.setRole(input.project, input.id, input.role));
    }),
    'user.invite': on(project.extend({ email: z.string().trim().email().max(320), role: roleName.default('authenticated') }), async (input) => {
      await deps.requireProject(input.project);
      await roles.assertExists(input.project, input.role);
      return settings.invite(input.project, input.email, input.role, clock.now());
    }),

    'signup.get': on(project, async (input) => ({ project: input.project, signup: await settings.signup(input.project) })),
    'signup.set': on(project.extend({ signup: signupModeSchema }), async (input) => {
      await deps.requireProject(input.project);
      return settings.setSignup(input.project, input.signup, clock.now());
    }),
    'keys.show': on(project, async (input) => {
      await deps.requireProject(input.project);
      return settings.clientKeys(input.project, apiKeys, clock.now());
    }),

    'policy.set': on(project.extend({ policy: policySchema }), async (input) => {
      await deps.requireProject(input.project);
      await roles.assertExists(input.project, input.policy.role);
      return changed('policies', input.project, await policies.set(input.project, input.policy, clock.now()));
    }),
    'policy.list': on(project, ({ project: p }) => policies.list(p)),
    'policy.remove': on(project.extend({ role: roleName, table: z.string().min(1).max(200) }), async (input) => {
      await policies.remove(input.project, input.role, input.table);
      return changed('policies', input.project, { role: input.role, table: input.table, removed: true });
    }),

    'role.create': on(project.extend({ role: customRoleSchema }), async (input) => {
      await deps.requireProject(input.project);
      return changed('roles', input.project, await roles.create(input.project, input.role, clock.now()));
    }),
    'role.list': on(project, ({ project: p }) => roles.list(p)),
    'role.delete': on(project.extend({ name: roleName }), async (input) => {
      await roles.delete(input.project, input.name);
      return changed('roles', input.project, { name: input.name, deleted: true });
    }),

    'sa.create': on(project.extend({ name: resourceName, role: roleName }), async (input) => {
      await deps.requireProject(input.project);
      await roles.assertExists(input.project, input.role);
      return accounts.create(input.project, input.name, input.role, clock.now());
    }),
    'sa.list': on(project, ({ project: p }) => accounts.list(p)),
    'sa.disable': on(id, async (input) => changed('service_accounts', input.project, await accounts.setDisabled(input.project, input.id, true, clock.now()))),
    'sa.enable': on(id, async (input) => changed('service_accounts', input.project, await accounts.setDisabled(input.project, input.id, false, clock.now()))),

    'rule.set': on(project.extend({ rule: rowRuleSchema }), async (input) => {
      await deps.requireProject(input.project);
      return changed('rules', input.project, await rules.set(input.project, input.rule, clock.now()));
    }),
    'rule.list': on(project, ({ project: p }) => rules.list(p)),
    'rule.delete': on(project.extend({ source: resourceName, table: z.string().min(1).max(200) }), async (input) => {
      await rules.delete(input.project, input.source, input.table);
      return changed('rules', input.project, { source: input.source, table: input.table, deleted: true });
    }),
  };
}
