import { MongoClient } from 'mongodb';
import { describe, it } from 'vitest';
import { createAdapter } from '../../adapters/index.js';
import { adapterConformance } from './conformance.js';
import { uniqueName } from './helpers.js';

const url = process.env['MONGODB_URL'];

if (url) {
  adapterConformance(
    'mongodb',
    async () => {
      const database = uniqueName('mobo_t');
      const adapter = createAdapter({ kind: 'mongodb', url, namespace: database });
      await adapter.connect();
      return {
        adapter,
        cleanup: async () => {
          await adapter.close();
          const client = await MongoClient.connect(url);
          await client.db(database).dropDatabase();
          await client.close();
        },
      };
    },
    // Transactions (sessions) exist only on a replica set.
    { transactions: url.includes('replicaSet='), textAllowsNul: true },
  );
} else {
  describe.skip('adapter conformance: mongodb — MONGODB_URL not set: no MongoDB server on this machine', () => {
    it('runs the shared conformance suite against MongoDB', () => undefined);
  });
}
