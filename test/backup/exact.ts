/**
 * One real database per SQL backend, seen from beside the adapter under test: statements in
 * its namespace, its schema as the backend prints it (pg_dump --schema-only, sqlite_master,
 * SHOW CREATE TABLE), its rows as text, and any stage a restore left behind.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { RecordCodec } from '../../actors/backup/records.js';
import { stagePrefix } from '../../adapters/sql/stage.js';
import type { DumpChunk, SourceConfig } from '../../adapters/types.js';
import { MYSQL_URL, PG_URL } from './support.js';

const exec = promisify(execFile);

export type SqlKind = 'postgres' | 'sqlite' | 'mysql';

export interface Harness {
  kind: SqlKind;
  source: SourceConfig;
  /** Quotes an identifier for this backend. */
  q(name: string): string;
  /** Runs statements (several, separated by `;`) in the namespace. */
  exec(sql: string): Promise<void>;
  /** Runs one query in the namespace; its rows. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** The schema as the backend prints it. */
  schema(): Promise<string>;
  /** Every table's rows, as sorted text. */
  rows(): Promise<Record<string, string[]>>;
  /** Stages (schemas, databases, files) a restore of this namespace left behind. */
  leftovers(): Promise<string[]>;
  drop(): Promise<void>;
}

const random = () => Math.random().toString(36).slice(2, 8);
const textOf = (row: unknown) => JSON.stringify(row, (_k, v: unknown) => (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? `hex:${Buffer.from((v as { data: number[] }).data).toString('hex')}` : v));

export async function openHarness(kind: SqlKind, dir: string, tag: string): Promise<Harness> {
  const ns = `mobo_ex_${tag}_${random()}`;
  if (kind === 'postgres') return postgresHarness(ns);
  if (kind === 'mysql') return mysqlHarness(ns);
  return sqliteHarness(join(dir, `${ns}.db`));
}

async function postgresHarness(ns: string): Promise<Harness> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`CREATE SCHEMA "${ns}"`);
  await client.query(`SET search_path TO "${ns}"`);
  const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const tables = async () => (await client.query<{ name: string }>("SELECT relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND relkind = 'r' ORDER BY 1", [ns])).rows.map((r) => r.name);
  return {
    kind: 'postgres',
    source: { kind: 'postgres', url: PG_URL, namespace: ns, pool: { max: 3 } },
    q,
    exec: async (sql) => void (await client.query(sql)),
    query: async (sql) => (await client.query(sql)).rows as Record<string, unknown>[],
    // Without the \restrict lines (their key is new on every run of pg_dump) and without the node's
    // change capture (its trigger and function, REPLICA IDENTITY FULL): the feed puts those back in
    // the background after a restore, in its own time; the archive holds the user's schema.
    schema: async () => withoutCapture((await exec('pg_dump', ['--schema-only', '-n', ns, '-d', PG_URL], { maxBuffer: 64 << 20 })).stdout.replace(/^\\(un)?restrict .*$/gm, '')),
    rows: async () => {
      const out: Record<string, string[]> = {};
      for (const t of await tables()) out[t] = (await client.query<{ r: string }>(`SELECT t::text AS r FROM ${q(ns)}.${q(t)} t`)).rows.map((r) => r.r).sort();
      return out;
    },
    leftovers: async () => (await client.query<{ n: string }>('SELECT nspname AS n FROM pg_namespace WHERE starts_with(nspname, $1)', [stagePrefix(ns)])).rows.map((r) => r.n),
    drop: async () => {
      await client.query(`DROP SCHEMA IF EXISTS "${ns}" CASCADE`).catch(() => undefined);
      await client.end();
    },
  };
}

async function mysqlHarness(ns: string): Promise<Harness> {
  const admin = await mysql.createConnection({ uri: MYSQL_URL, multipleStatements: true });
  await admin.query(`CREATE DATABASE \`${ns}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.query(`USE \`${ns}\``);
  const q = (name: string) => `\`${name.replace(/`/g, '``')}\``;
  const tables = async () => ((await admin.query(`SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1`, [ns]))[0] as Array<{ name: string }>).map((r) => r.name);
  return {
    kind: 'mysql',
    source: { kind: 'mysql', url: MYSQL_URL, namespace: ns, pool: { max: 3 } },
    q,
    exec: async (sql) => void (await admin.query(sql)),
    query: async (sql) => (await admin.query(sql))[0] as Record<string, unknown>[],
    schema: async () => {
      const out: string[] = [];
      for (const t of await tables()) out.push(((await admin.query(`SHOW CREATE TABLE ${q(t)}`))[0] as Array<Record<string, string>>)[0]!['Create Table']!);
      return out.join(';\n');
    },
    rows: async () => {
      const out: Record<string, string[]> = {};
      for (const t of await tables()) out[t] = ((await admin.query(`SELECT * FROM ${q(t)}`))[0] as unknown[]).map(textOf).sort();
      return out;
    },
    leftovers: async () => ((await admin.query(`SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?`, [`${stagePrefix(ns)}%`]))[0] as Array<{ n: string }>).map((r) => r.n),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS \`${ns}\``).catch(() => undefined);
      await admin.end();
    },
  };
}

async function sqliteHarness(file: string): Promise<Harness> {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const tables = () => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY 1").all() as Array<{ name: string }>).map((r) => r.name);
  return {
    kind: 'sqlite',
    source: { kind: 'sqlite', url: file },
    q,
    exec: async (sql) => void db.exec(sql),
    query: async (sql) => db.prepare(sql).all() as Record<string, unknown>[],
    schema: async () => {
      const master = db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').all();
      const counters = tables().length && db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").get() ? db.prepare('SELECT * FROM sqlite_sequence ORDER BY name').all() : [];
      return JSON.stringify({ master, counters }, null, 1);
    },
    rows: async () => Object.fromEntries(tables().map((t) => [t, (db.prepare(`SELECT * FROM ${q(t)}`).all() as unknown[]).map((r) => textOf(JSON.parse(JSON.stringify(r)))).sort()])),
    leftovers: async () => readdirSync(dirname(file)).filter((f) => f.startsWith(`${basename(file)}.restore-`)),
    drop: async () => void db.close(),
  };
}

/** Chunks as they come back out of an archive: encoded and decoded by the archive's codec. */
export async function throughArchive(chunks: AsyncIterable<DumpChunk>): Promise<DumpChunk[]> {
  const codec = new RecordCodec();
  const out: DumpChunk[] = [];
  for await (const chunk of chunks) for (const { record } of codec.records(codec.encode('p', chunk))) out.push(record as DumpChunk);
  return out;
}

/** pg_dump output without the objects of MagMoBoMini's change capture (each object is a block headed `-- Name: …`). */
function withoutCapture(dump: string): string {
  return dump
    .split(/\n(?=--\n-- Name: )/)
    .filter((block) => !/^--\n-- Name: [^\n]*\b(mobo_watch|mobo_notify)\b/.test(block))
    .join('\n')
    .replace(/^ALTER TABLE ONLY .* REPLICA IDENTITY FULL;\n/gm, '');
}
