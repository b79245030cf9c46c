import { z } from 'zod';
import { resourceName } from '../ds/names.js';
import type { DataClient } from '../ds/protocol.js';
import { BUILT_IN_ROLES, type AccessRequest, type Operation } from './principal.js';
import { findOne, insertNew, iso, where } from './records.js';
import { operationSchema, tablePatternSchema } from './scopes.js';
import { anyTableMatches } from './table-pattern.js';
import { ROLES } from './tables.js';
import { MoboError } from '../../runtime/index.js';

export type BuiltInRole = (typeof BUILT_IN_ROLES)[number];

/**
 * The built-in roles. Data operations apply to every table of the project (row rules
 * and key scopes may narrow them); `manage` is keys, users, roles, service accounts
 * and row rules; `owner` may also manage owners.
 *
 * | role      | read | create | update | delete | manage | manage owners |
 * | --------- | ---- | ------ | ------ | ------ | ------ | ------------- |
 * | viewer    | yes  |        |        |        |        |               |
 * | developer | yes  | yes    | yes    | yes    |        |               |
 * | admin     | yes  | yes    | yes    | yes    | yes    |               |
 * | owner     | yes  | yes    | yes    | yes    | yes    | yes           |
 * | authenticated, anon | policies only |   |        |        |        |               |
 *
 * `authenticated` is every signed-up user's role, `anon` the public client key's: they
 * reach a table only through a policy (policies.ts).
 */
export const ROLE_MATRIX: Record<BuiltInRole, { data: readonly Operation[]; manage: boolean; manageOwners: boolean }> = {
  viewer: { data: ['read'], manage: false, manageOwners: false },
  developer: { data: ['read', 'create', 'update', 'delete'], manage: false, manageOwners: false },
  admin: { data: ['read', 'create', 'update', 'delete'], manage: true, manageOwners: false },
  owner: { data: ['read', 'create', 'update', 'delete'], manage: true, manageOwners: true },
  authenticated: { data: [], manage: false, manageOwners: false },
  anon: { data: [], manage: false, manageOwners: false },
};

export function isBuiltInRole(role: string): role is BuiltInRole {
  return (BUILT_IN_ROLES as readonly string[]).includes(role);
}

/** Admin and owner are privileged: their API keys skip row rules unless a rule says otherwise. */
export function isPrivileged(role: string): boolean {
  return isBuiltInRole(role) && ROLE_MATRIX[role].manage;
}

/** A custom role: which operations on which tables. Anything not granted is refused. */
export const roleGrantSchema = z.object({ tables: z.array(tablePatternSchema).min(1).max(100), operations: z.array(operationSchema).min(1) }).strict();
export const customRoleSchema = z.object({
  name: resourceName.refine((n) => !isBuiltInRole(n), 'that name belongs to a built-in role'),
  grants: z.array(roleGrantSchema).min(1).max(100),
});
export type CustomRole = z.infer<typeof customRoleSchema>;

export function customRoleAllows(role: CustomRole, request: AccessRequest): boolean {
  return role.grants.some((g) => g.operations.includes(request.operation) && anyTableMatches(g.tables, request.source, request.table));
}

/** A built-in role's data grants, in the shape of a custom role's (for `role:list`). */
export function builtInGrants(role: BuiltInRole): CustomRole['grants'] {
  const operations = [...ROLE_MATRIX[role].data];
  return operations.length === 0 ? [] : [{ tables: ['*'], operations }];
}

export function builtInAllows(role: BuiltInRole, operation: Operation): boolean {
  return ROLE_MATRIX[role].data.includes(operation);
}

/** The project's custom roles, in the control store. */
export class Roles {
  constructor(private readonly store: DataClient) {}

  async get(project: string, name: string): Promise<CustomRole | undefined> {
    const row = await findOne(this.store, ROLES, { project, name });
    return row ? { name, grants: JSON.parse(String(row.rules)) as CustomRole['grants'] } : undefined;
  }

  /** A role name a credential may carry: built in, or a custom role of the project. */
  async assertExists(project: string, name: string): Promise<void> {
    if (!isBuiltInRole(name) && !(await this.get(project, name))) {
      throw new MoboError('AUTH_ROLE_NOT_FOUND', `No role "${name}" in project "${project}"`, { details: { project, role: name, builtIn: BUILT_IN_ROLES } });
    }
  }

  async create(project: string, role: CustomRole, now: number): Promise<CustomRole & { created_at: string }> {
    const created_at = iso(now);
    await insertNew(this.store, ROLES, { role_key: `${project}/${role.name}`, project, name: role.name, rules: JSON.stringify(role.grants), created_at }, () =>
      new MoboError('AUTH_ROLE_EXISTS', `Project "${project}" already has a role "${role.name}"`, { details: { project, role: role.name } }),
    );
    return { ...role, created_at };
  }

  async list(project: string): Promise<Array<{ name: string; builtIn: boolean; grants: CustomRole['grants']; created_at?: string }>> {
    const rows = await this.store.select({ table: ROLES, where: where({ project }), order: [{ column: 'name', direction: 'asc' }] });
    return [
      ...BUILT_IN_ROLES.map((name) => ({ name, builtIn: true, grants: builtInGrants(name) })),
      ...rows.map((r) => ({ name: String(r.name), builtIn: false, grants: JSON.parse(String(r.rules)) as CustomRole['grants'], created_at: String(r.created_at) })),
    ];
  }

  async delete(project: string, name: string): Promise<void> {
    if (isBuiltInRole(name)) throw new MoboError('AUTH_FORBIDDEN', 'Built-in roles cannot be deleted', { details: { role: name } });
    const removed = await this.store.delete(ROLES, where({ project, name }), true);
    if (removed.length === 0) throw new MoboError('AUTH_ROLE_NOT_FOUND', `No role "${name}" in project "${project}"`, { details: { project, role: name } });
  }
}
