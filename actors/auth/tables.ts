import type { ColumnInfo, TableInfo } from '../../adapters/index.js';

/**
 * MagAuth's tables in the control store. Secrets are never stored: passwords as scrypt
 * hashes, refresh tokens and API keys as SHA-256, signing keys sealed with the node key.
 * Times that are compared are integers (ms since epoch); times only shown are ISO text.
 */
const text = (name: string, nullable = false): ColumnInfo => ({ name, type: 'text', nativeType: 'text', nullable, hasDefault: false });
const integer = (name: string, nullable = false): ColumnInfo => ({ name, type: 'integer', nativeType: 'integer', nullable, hasDefault: false });

export const USERS = 'mobo_auth_users';
export const REFRESH_TOKENS = 'mobo_auth_refresh_tokens';
export const API_KEYS = 'mobo_auth_api_keys';
export const ROLES = 'mobo_auth_roles';
export const SERVICE_ACCOUNTS = 'mobo_auth_service_accounts';
export const SIGNING_KEYS = 'mobo_auth_signing_keys';
export const ROW_RULES = 'mobo_auth_row_rules';
export const POLICIES = 'mobo_auth_policies';
/** Per project: signup mode, and the public client key and service key (sealed, so `keys:show` can show them again). */
export const PROJECT_SETTINGS = 'mobo_auth_projects';
export const INVITES = 'mobo_auth_invites';
/** The node's owner accounts (people who run it: the admin page and API, like the admin token) and their sessions. */
export const OWNERS = 'mobo_auth_owners';
export const OWNER_SESSIONS = 'mobo_auth_owner_sessions';

export const AUTH_TABLES: TableInfo[] = [
  {
    // `email_key` = project/lowercased email: the primary key makes an email unique per project.
    name: USERS,
    primaryKey: ['email_key'],
    columns: [text('email_key'), text('id'), text('project'), text('email'), text('password_hash'), text('role'), text('created_at'), text('disabled_at', true)],
  },
  {
    name: REFRESH_TOKENS,
    primaryKey: ['token_hash'],
    columns: [text('token_hash'), text('project'), text('user_id'), text('family_id'), integer('created_at'), integer('expires_at'), integer('used_at', true), integer('revoked_at', true)],
  },
  {
    name: API_KEYS,
    primaryKey: ['id'],
    columns: [
      text('id'),
      text('project'),
      text('name', true),
      text('prefix'),
      text('key_hash'),
      text('scopes'),
      text('role'),
      text('service_account', true),
      text('created_at'),
      text('rotated_at', true),
      text('revoked_at', true),
    ],
  },
  { name: ROLES, primaryKey: ['role_key'], columns: [text('role_key'), text('project'), text('name'), text('rules'), text('created_at')] },
  {
    name: SERVICE_ACCOUNTS,
    primaryKey: ['name_key'],
    columns: [text('name_key'), text('id'), text('project'), text('name'), text('role'), text('created_at'), text('disabled_at', true)],
  },
  {
    name: SIGNING_KEYS,
    primaryKey: ['kid'],
    columns: [text('kid'), text('alg'), text('public_jwk'), text('private_sealed'), integer('created_at'), integer('retired_at', true)],
  },
  {
    name: ROW_RULES,
    primaryKey: ['rule_key'],
    columns: [text('rule_key'), text('project'), text('source'), text('table_name'), text('column_name'), text('equals'), integer('privileged_too'), text('created_at')],
  },
  {
    name: POLICIES,
    primaryKey: ['policy_key'],
    columns: [text('policy_key'), text('project'), text('role'), text('table_pattern'), text('operations'), text('owner_column', true), text('created_at')],
  },
  {
    name: PROJECT_SETTINGS,
    primaryKey: ['project'],
    columns: [text('project'), text('signup'), text('public_key_id', true), text('public_key_sealed', true), text('service_key_id', true), text('service_key_sealed', true), text('updated_at')],
  },
  { name: INVITES, primaryKey: ['invite_key'], columns: [text('invite_key'), text('project'), text('email'), text('role'), text('created_at')] },
  { name: OWNERS, primaryKey: ['email'], columns: [text('email'), text('password_hash'), text('created_at'), text('disabled_at', true)] },
  { name: OWNER_SESSIONS, primaryKey: ['token_hash'], columns: [text('token_hash'), text('email'), integer('created_at'), integer('expires_at')] },
];
