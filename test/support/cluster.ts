import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { MoboNode } from '../../actors/node.js';
import { tempDir } from './cli.js';
import { NATS_URL } from './nats.js';
import { startTestNode } from './node.js';

const ADMIN_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestCluster {
  nodes: MoboNode[];
  dirs: string[];
  /** Its name (`transport.cluster`): the root of every NATS subject, stream and bucket it uses. */
  cluster: string;
  /** The URL of the cluster's control store (a throwaway Postgres database). */
  controlUrl: string;
  stop(): Promise<void>;
}

/**
 * Nodes of one cluster, in process: NATS between them under a cluster name of their own
 * (other suites' clusters on the same server never hear them), one control store (a
 * throwaway Postgres database, dropped by stop()), one secrets.key. `env` is given to every node.
 */
export async function startTestCluster(prefix: string, count: number, env: Record<string, string> = {}): Promise<TestCluster> {
  const db = `mobo_${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${db}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${db}`;
  const controlUrl = url.toString();
  const shared = { MOBO_NATS_URL: NATS_URL, MOBO_TRANSPORT__CLUSTER: db, MOBO_CONTROL__KIND: 'postgres', MOBO_CONTROL__URL: controlUrl, MOBO_SECRETS__KEY: randomBytes(32).toString('base64'), ...env };
  const dirs = Array.from({ length: count }, (_, i) => tempDir(`mobo-${prefix}-${i}-`));
  const nodes: MoboNode[] = [];
  for (const [i, dir] of dirs.entries()) nodes.push(await startTestNode({ ...shared, MOBO_NODE_ID: `${prefix}-${i}-${db.slice(-8)}` }, dir));
  return {
    nodes,
    dirs,
    cluster: db,
    controlUrl,
    async stop() {
      for (const node of nodes) await node.stop();
      await admin.query(`drop database if exists ${db} with (force)`);
      await admin.end();
    },
  };
}
