import { createAdapter } from '../../adapters/index.js';
import { adapterConformance } from './conformance.js';
import type { OpenedAdapter } from './conformance.js';
import { MYSQL_URL, mysqlAdmin as admin, uniqueName } from './helpers.js';
import { snapshotConformance } from './snapshot-conformance.js';

const URL = MYSQL_URL;

/** A connected adapter on a database of its own, dropped on cleanup. */
async function openMysql(): Promise<OpenedAdapter> {
  const database = uniqueName('mobo_t');
  await admin(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const adapter = createAdapter({ kind: 'mysql', url: URL, namespace: database });
  await adapter.connect();
  return {
    adapter,
    cleanup: async () => {
      await adapter.close();
      await admin(`DROP DATABASE \`${database}\``);
    },
  };
}

adapterConformance('mysql (MariaDB)', openMysql, { transactions: true, textAllowsNul: true });
snapshotConformance('mysql (MariaDB)', openMysql);
