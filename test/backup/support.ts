import mysql from 'mysql2/promise';
import pg from 'pg';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { backupSlots, type BackupSlotOptions } from '../../actors/backup/index.js';
import { defaultSlots } from '../../actors/components.js';
import { MoboNode } from '../../actors/node.js';
import type { SourceConfig, TableInfo } from '../../adapters/types.js';
import { loadConfig } from '../../config/load.js';
import { Logger } from '../../runtime/logger.js';

export const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** An embedded node whose backup slot takes test options (a ManualClock, a key, a lease). */
export async function startBackupNode(dataDir: string, options: BackupSlotOptions = {}, env: Record<string, string> = {}): Promise<MoboNode> {
  const loaded = loadConfig({ cwd: dataDir, env: { MOBO_HTTP_PORT: '0', MOBO_DATA_DIR: dataDir, MOBO_HEALTH__INTERVAL_MS: '0', ...env } });
  const slots = [...defaultSlots().filter((s) => !s.name.startsWith('backup')), ...backupSlots(options)];
  const node = await MoboNode.create({ loaded, log: Logger.silent(), slots });
  await node.boot();
  return node;
}

export type IsolatedSource = Omit<SourceConfig, 'kind'> & { kind: SourceConfig['kind']; namespace?: string };

/**
 * One source per backend on the servers of this machine, each in a namespace of its own
 * (Postgres schema, MariaDB database, Redis prefix, Mongo database), so a whole-source backup
 * and restore never touches another test's tables. `drop` removes them all.
 */
export async function isolatedSources(dir: string, tag: string): Promise<{ sources: Record<string, IsolatedSource>; drop(): Promise<void> }> {
  const ns = `mobo_bk_${tag}_${Math.random().toString(36).slice(2, 8)}`;
  const sources: Record<string, IsolatedSource> = {
    sqlite: { kind: 'sqlite', url: `${dir}/${ns}.db` },
    postgres: { kind: 'postgres', url: PG_URL, namespace: ns },
    mysql: { kind: 'mysql', url: MYSQL_URL, namespace: ns },
    redis: { kind: 'redis', url: REDIS_URL, namespace: ns },
  };
  if (process.env.MONGODB_URL) sources.mongodb = { kind: 'mongodb', url: process.env.MONGODB_URL, namespace: ns };
  await pgAdmin(`CREATE SCHEMA "${ns}"`);
  await mysqlAdmin(`CREATE DATABASE \`${ns}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  return {
    sources,
    async drop() {
      await pgAdmin(`DROP SCHEMA IF EXISTS "${ns}" CASCADE`).catch(() => undefined);
      await mysqlAdmin(`DROP DATABASE IF EXISTS \`${ns}\``).catch(() => undefined);
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${ns}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      if (process.env.MONGODB_URL) {
        const mongo = await MongoClient.connect(process.env.MONGODB_URL);
        await mongo.db(ns).dropDatabase();
        await mongo.close();
      }
    },
  };
}

export async function pgAdmin(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

async function mysqlAdmin(sql: string): Promise<void> {
  const connection = await mysql.createConnection(MYSQL_URL);
  try {
    await connection.query(sql);
  } finally {
    await connection.end();
  }
}

export const itemsTable = (name: string): TableInfo => ({
  name,
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false },
    { name: 'name', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
    { name: 'qty', type: 'integer', nativeType: 'integer', nullable: true, hasDefault: false },
    { name: 'ok', type: 'boolean', nativeType: 'boolean', nullable: true, hasDefault: false },
  ],
});

export const items = (n: number, from = 1) =>
  Array.from({ length: n }, (_, i) => ({ id: from + i, name: `item ${from + i} "quoted" 'x' ünïcode`, qty: i % 3 === 0 ? null : i * 7, ok: i % 2 === 0 }));

export interface FinishedJob<R = unknown> {
  id: string;
  kind: string;
  state: 'done' | 'failed';
  result?: R;
  error?: { code: string; message: string; details?: Record<string, unknown> };
}

/** Starts backup jobs through the actor and awaits their end through the bus (no polling). */
export class BackupJobs {
  private readonly ended = new Map<string, FinishedJob>();
  private readonly waiting = new Map<string, (job: FinishedJob) => void>();
  private readonly off: () => void;

  constructor(private readonly node: MoboNode) {
    const record = (e: { payload: FinishedJob }): void => {
      this.ended.set(e.payload.id, e.payload);
      this.waiting.get(e.payload.id)?.(e.payload);
    };
    const offDone = node.system.events.on<FinishedJob>('job.backup.done', record);
    const offFailed = node.system.events.on<FinishedJob>('job.backup.failed', record);
    this.off = () => (offDone(), offFailed());
  }

  ref() {
    return this.node.system.ref(this.node.address('backup'));
  }

  /** Asks for a job and resolves when it has ended (done or failed). */
  async run<R>(type: string, payload: unknown): Promise<FinishedJob<R>> {
    const { id } = await this.ref().ask<{ id: string }>(type, payload);
    const ended = this.ended.get(id);
    if (ended) return ended as FinishedJob<R>;
    return new Promise((resolve) => this.waiting.set(id, resolve as (job: FinishedJob) => void));
  }

  /** Like run, but the job must succeed; answers its result. */
  async result<R>(type: string, payload: unknown): Promise<R> {
    const job = await this.run<R>(type, payload);
    if (job.state !== 'done') throw new Error(`${type} failed: ${JSON.stringify(job.error)}`);
    return job.result as R;
  }

  close(): void {
    this.off();
  }
}
