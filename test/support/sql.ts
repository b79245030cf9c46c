import mysql from 'mysql2/promise';
import pg from 'pg';

/** One statement on a connection of its own to a real Postgres, beside what a test exercises. */
export async function pgQuery<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** One statement on a connection of its own to a real MariaDB/MySQL. */
export async function mysqlQuery<T = Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const connection = await mysql.createConnection(url);
  try {
    return (await connection.query(sql))[0] as T[];
  } finally {
    await connection.end();
  }
}

/** Statements on a SQLite file of its own connection, beside what a test exercises. */
export async function sqliteExec(path: string, sql: string): Promise<void> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

/**
 * A Postgres database of the test's own on the server of `serverUrl`, for tests whose
 * assertions would be disturbed by other writers on a shared database (change feeds and the
 * read cache hear every table of a database). Returns its URL and a drop.
 */
export async function pgOwnDatabase(serverUrl: string, prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
  await pgQuery(serverUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => pgQuery(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).then(() => undefined) };
}
