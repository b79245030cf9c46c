import { Redis } from 'ioredis';
import { createAdapter } from '../../adapters/index.js';
import { adapterConformance } from './conformance.js';
import { uniqueName } from './helpers.js';

const URL = 'redis://127.0.0.1:6379';

adapterConformance(
  'redis',
  async () => {
    const namespace = uniqueName('mobo_t');
    const adapter = createAdapter({ kind: 'redis', url: URL, namespace });
    await adapter.connect();
    return {
      adapter,
      cleanup: async () => {
        await adapter.close();
        const client = new Redis(URL);
        const leftovers = await client.keys(`${namespace}:*`);
        if (leftovers.length > 0) await client.del(...leftovers);
        await client.quit();
      },
    };
  },
  { transactions: false, textAllowsNul: true },
);
