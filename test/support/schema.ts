import mysql from 'mysql2/promise';
import pg from 'pg';
import type { SourceConfig } from '../../adapters/types.js';
import { uniqueName } from '../adapters/helpers.js';
import { tempDir } from './cli.js';
import { mysqlQuery, pgQuery } from './sql.js';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** A throwaway place on each real SQL server: a Postgres schema, a MariaDB database, a SQLite file. */
export async function schemaSource(kind: 'postgres' | 'mysql' | 'sqlite'): Promise<{ config: SourceConfig; drop: () => Promise<void> }> {
  const name = uniqueName('mobo_schema');
  if (kind === 'postgres') {
    await pgQuery(PG_URL, `CREATE SCHEMA "${name}"`);
    return { config: { kind, url: PG_URL, namespace: name }, drop: async () => void (await pgQuery(PG_URL, `DROP SCHEMA "${name}" CASCADE`)) };
  }
  if (kind === 'mysql') {
    await mysqlQuery(MYSQL_URL, `CREATE DATABASE \`${name}\``);
    const url = new URL(MYSQL_URL);
    url.pathname = `/${name}`;
    return { config: { kind, url: url.toString() }, drop: async () => void (await mysqlQuery(MYSQL_URL, `DROP DATABASE \`${name}\``)) };
  }
  return { config: { kind, url: `${tempDir('mobo-schema-')}/s.db` }, drop: async () => undefined };
}

/**
 * Takes a source's migration lock from outside, on a connection of its own, as another
 * operator's run would hold it (adapters/sql/schema-editor.ts names it the same way).
 */
export async function holdMigrationLock(kind: 'postgres' | 'mysql', source: { config: SourceConfig }): Promise<{ release: () => Promise<void> }> {
  let released = false;
  if (kind === 'postgres') {
    const client = new pg.Client({ connectionString: source.config.url });
    await client.connect();
    const key = `mobo_migrations:"${source.config.namespace!.replace(/"/g, '""')}"."mobo_migrations"`;
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [key]);
    return { release: async () => void (released || ((released = true), await client.end())) };
  }
  const connection = await mysql.createConnection(source.config.url);
  const [rows] = await connection.query<mysql.RowDataPacket[]>("SELECT GET_LOCK(SHA1(CONCAT(?, ':', DATABASE())), 0) AS got", ['mobo_migrations:`mobo_migrations`']);
  if (Number(rows[0]?.got) !== 1) throw new Error('the migration lock is held by someone else');
  return { release: async () => void (released || ((released = true), await connection.end())) };
}
