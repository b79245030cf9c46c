/**
 * A project's own place on a shared server: a database (or a schema) and a login role with a
 * password of its own, made from an admin URL, and dropped again. Names are derived from the
 * project (lowercase, `_` for anything else, a hash of the exact name so two names never meet)
 * and always quoted. The drivers stay in their own files: each backend module exports an
 * `openAdmin(url)` that runs plain statements.
 */
import { createHash, randomBytes } from 'node:crypto';
import { MoboError } from '../runtime/index.js';
import { postgresTarget } from './postgres-url.js';

export interface AdminRunner {
  run(sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

/** What was made for a project: enough to connect (url) and to drop it again (the rest). */
export interface Provisioned {
  kind: 'postgres' | 'mysql';
  url: string;
  database: string;
  role: string;
  schema?: string;
}

/** `mobo_<project, simplified>_<hash>`: at most 63 bytes, safe anywhere, one per exact project name. */
export function derivedName(project: string): string {
  const simple = project.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 40);
  const hash = createHash('sha256').update(project).digest('hex').slice(0, 10);
  return `mobo_${simple}_${hash}`;
}

const pgQuote = (name: string): string => `"${name.split('"').join('""')}"`;
const pgLiteral = (text: string): string => `'${text.split("'").join("''")}'`;
const myQuote = (name: string): string => `\`${name.split('`').join('``')}\``;
const myLiteral = (text: string): string => `'${text.replace(/\\/g, '\\\\').split("'").join("''")}'`;

const password = (): string => randomBytes(24).toString('base64url');

function withCredentials(adminUrl: string, role: string, secret: string, database: string, query: Record<string, string> = {}): string {
  const url = new URL(adminUrl);
  url.username = encodeURIComponent(role);
  url.password = encodeURIComponent(secret);
  url.pathname = `/${encodeURIComponent(database)}`;
  url.search = '';
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url.toString();
}

/** A database (`per: 'database'`) or a schema in `database` (`per: 'schema'`) owned by a new login role. */
export async function provisionPostgres(admin: AdminRunner, adminUrl: string, project: string, per: 'database' | 'schema', database?: string): Promise<Provisioned> {
  const name = derivedName(project);
  const secret = password();
  const role = pgQuote(name);
  await admin.run(`CREATE ROLE ${role} LOGIN PASSWORD ${pgLiteral(secret)}`).catch((err: unknown) => {
    throw exists(err, project);
  });
  try {
    if (per === 'database') {
      await admin.run(`CREATE DATABASE ${role} OWNER ${role}`);
      await admin.run(`REVOKE ALL ON DATABASE ${role} FROM PUBLIC`);
      return { kind: 'postgres', url: withCredentials(adminUrl, name, secret, name), database: name, role: name };
    }
    const db = database ?? postgresTarget(adminUrl).database;
    await admin.run(`CREATE SCHEMA ${role} AUTHORIZATION ${role}`);
    // CREATE: a restore builds its tables in a stage schema beside the project's and swaps them in
    // (dump.ts); what the role makes there is its own and goes with DROP OWNED when the project does.
    await admin.run(`GRANT CONNECT, CREATE ON DATABASE ${pgQuote(db)} TO ${role}`);
    return { kind: 'postgres', url: withCredentials(adminUrl, name, secret, db, { schema: name }), database: db, role: name, schema: name };
  } catch (err) {
    await dropPostgres(admin, { kind: 'postgres', url: '', database: per === 'database' ? name : '', role: name, ...(per === 'schema' ? { schema: name } : {}) }).catch(() => undefined);
    throw err;
  }
}

/** Drops what provisionPostgres made (connections to the database are ended first). */
export async function dropPostgres(admin: AdminRunner, made: Provisioned): Promise<void> {
  const role = pgQuote(made.role);
  if (made.schema) await admin.run(`DROP SCHEMA IF EXISTS ${pgQuote(made.schema)} CASCADE`);
  else if (made.database) await admin.run(`DROP DATABASE IF EXISTS ${pgQuote(made.database)} WITH (FORCE)`);
  if (made.schema) await admin.run(`DROP OWNED BY ${role}`).catch(() => undefined);
  await admin.run(`DROP ROLE IF EXISTS ${role}`);
}

/** A database and a user of the same name with every privilege on it, and nothing else. */
export async function provisionMysql(admin: AdminRunner, adminUrl: string, project: string): Promise<Provisioned> {
  const name = derivedName(project);
  const secret = password();
  await admin.run(`CREATE USER ${myLiteral(name)}@'%' IDENTIFIED BY ${myLiteral(secret)}`).catch((err: unknown) => {
    throw exists(err, project);
  });
  try {
    await admin.run(`CREATE DATABASE ${myQuote(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await admin.run(`GRANT ALL PRIVILEGES ON ${myQuote(name)}.* TO ${myLiteral(name)}@'%'`);
  } catch (err) {
    await dropMysql(admin, { kind: 'mysql', url: '', database: name, role: name }).catch(() => undefined);
    throw err;
  }
  return { kind: 'mysql', url: withCredentials(adminUrl, name, secret, name), database: name, role: name };
}

export async function dropMysql(admin: AdminRunner, made: Provisioned): Promise<void> {
  await admin.run(`DROP DATABASE IF EXISTS ${myQuote(made.database)}`);
  await admin.run(`DROP USER IF EXISTS ${myLiteral(made.role)}@'%'`);
}

function exists(err: unknown, project: string): unknown {
  const e = err as { message?: string; cause?: { message?: string } } | undefined;
  const message = `${e?.message ?? ''} ${e?.cause?.message ?? ''}`;
  if (/already exists|Operation CREATE USER failed/i.test(message)) {
    return new MoboError('DS_CONFLICT', `The database server already has a role for project "${project}" (left from an earlier project?)`, { details: { project }, cause: err });
  }
  return err;
}
